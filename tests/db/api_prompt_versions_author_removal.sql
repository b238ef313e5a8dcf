-- Deleting the author of a prompt version keeps the version (created_by becomes NULL);
-- every other change to a version is still refused.
BEGIN;
SELECT plan(4);
SELECT tests.make_world();

SELECT lives_ok($$DELETE FROM api.users WHERE id = tests.uid('member_b')$$,
                'the author of a prompt version can be deleted');
SELECT is((SELECT created_by FROM api.prompt_versions WHERE id = tests.uid('version_b1')), NULL,
          'the version stays, without an author');
SELECT throws_ok($$UPDATE api.prompt_versions SET created_by = NULL, model = 'other' WHERE id = tests.uid('version_a1')$$,
                 '42501', 'prompt versions are immutable', 'clearing the author cannot smuggle in other changes');
SELECT throws_ok($$UPDATE api.prompt_versions SET created_by = tests.uid('owner_a') WHERE id = tests.uid('version_b1')$$,
                 '42501', 'prompt versions are immutable', 'nor can an author be set');

SELECT * FROM finish();
ROLLBACK;

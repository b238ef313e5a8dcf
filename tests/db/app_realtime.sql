-- The real-time feed and topic authorization the gateway is configured with.
BEGIN;
SELECT plan(12);
SELECT tests.make_world();

SELECT tests.login_as('member_a');
SELECT is(app.realtime_channels(ARRAY['workspace:' || tests.uid('workspace_a'), 'user:me',
                                      'request:' || tests.uid('request_a1')]),
          ARRAY['workspace:' || tests.uid('workspace_a'), 'user:' || tests.uid('member_a'),
                'request:' || tests.uid('request_a1')],
          'a member may follow their workspace, themselves and its requests');
SELECT is(app.realtime_channels(ARRAY['workspace:' || upper(tests.uid('workspace_a')::text)]),
          ARRAY['workspace:' || tests.uid('workspace_a')], 'channel keys are canonical');
SELECT is(app.realtime_channels(ARRAY['workspace:' || tests.uid('workspace_b'), 'user:me']),
          ARRAY[NULL, 'user:' || tests.uid('member_a')], 'another workspace is refused');
SELECT is(app.realtime_channels(ARRAY['request:' || tests.uid('request_b1')]),
          ARRAY[NULL::text], 'another workspace''s request is refused');
SELECT is(app.realtime_channels(ARRAY['user:' || tests.uid('member_b'), 'workspace:nope', 'x']),
          ARRAY[NULL, NULL, NULL::text], 'unknown or foreign topics are refused');
SELECT throws_ok($$SELECT * FROM app.realtime_feed$$, '42501', NULL,
                 'clients do not read the feed');

SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT app.realtime_channels(ARRAY['user:me'])$$, '42501', NULL,
                 'anonymous callers cannot subscribe');

SELECT tests.authenticate_as('service_role');
SELECT is((SELECT channels FROM app.realtime_feed WHERE event = 'memberships.created'
           AND data::jsonb ->> 'entity_id' = tests.uid('member_a')::text),
          ARRAY['workspace:' || tests.uid('workspace_a'), 'user:' || tests.uid('member_a')],
          'membership events go to the workspace and the member');
SELECT is((SELECT channels FROM app.realtime_feed WHERE event = 'ai_requests.created'
           AND data::jsonb ->> 'entity_id' = tests.uid('request_a1')::text),
          ARRAY['workspace:' || tests.uid('workspace_a'), 'request:' || tests.uid('request_a1')],
          'AI request events go to the workspace and the request');
SELECT is((SELECT data::jsonb - 'created_at' - 'id' FROM app.realtime_feed
           WHERE event = 'documents.created' AND data::jsonb ->> 'entity_id' = tests.uid('doc_a1')::text),
          jsonb_build_object('workspace_id', tests.uid('workspace_a'), 'topic', 'documents',
                             'kind', 'created', 'entity_id', tests.uid('doc_a1'),
                             'payload', jsonb_build_object('title', 'Quarterly report')),
          'the body is the event as JSON');
SELECT tests.clear_authentication();
DELETE FROM api.memberships WHERE user_id = tests.uid('member_a');
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT recheck FROM app.realtime_feed WHERE event = 'memberships.deleted'), true,
          'a removed membership asks for a re-check');
SELECT is((SELECT bool_or(recheck) FROM app.realtime_feed WHERE event <> 'memberships.deleted'
           AND event <> 'memberships.updated'), false, 'other events do not');

SELECT * FROM finish();
ROLLBACK;

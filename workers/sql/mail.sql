-- Statements of account mail delivery (workers.mail.send), on the worker's connections:
-- role worker, procrastinate first on search_path; every name here is qualified.

-- name: claim
SELECT attempt, template, recipient, data, http_request_id FROM app.claim_mail(%(message)s);

-- name: finish
SELECT app.finish_mail(%(message)s, %(status)s, %(error)s);

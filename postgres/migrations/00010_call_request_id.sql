-- +goose Up
-- Each call record keeps the X-Request-Id of the HTTP request that made
-- it, so a customer's report (which quotes the id from the response
-- header) leads to the record, the log lines and the trace. Calls made
-- before this migration have ''. No index: the id is read with its call,
-- not searched (add one if support starts looking calls up by it). A
-- column with a constant default is added without rewriting the table.
ALTER TABLE llm_calls ADD COLUMN request_id TEXT NOT NULL DEFAULT '';


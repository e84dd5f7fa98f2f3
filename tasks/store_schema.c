/*
 * store_schema.c - the schema as numbered migration steps and the code that
 * applies them. PRAGMA user_version is the number of steps applied; each step
 * runs in its own BEGIN IMMEDIATE transaction together with the version bump,
 * so a crash leaves the file at a whole version.
 * Owns: the DDL (docs/schema.md explains each table and its invariants).
 * Never edits a released step: a schema change is a new step at the end.
 */
#include "store_internal.h"

#include <sqlite3.h>

#include <stdio.h>

typedef struct migration {
    const char *what;
    const char *sql;
    /* Run after sql in the same transaction when the step needs code; NULL: none. */
    kz_status (*code)(kz_store *st, kz_err *err);
} migration;

/* Step 1: the whole product's schema (issue 4). */
static const char schema_v1[] =
    "CREATE TABLE meta ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES ('pseudonym_key', lower(hex(randomblob(32))));"

    "CREATE TABLE requesters ("
    "  id         INTEGER PRIMARY KEY,"
    "  name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),"
    "  about      TEXT,"
    "  contact    TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"

    "CREATE TABLE batches ("
    "  id            INTEGER PRIMARY KEY,"
    "  name          TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),"
    "  requester_id  INTEGER NOT NULL REFERENCES requesters(id),"
    "  currency      TEXT NOT NULL CHECK (length(currency) = 3),"
    "  reward_minor  INTEGER NOT NULL CHECK (reward_minor >= 0),"
    "  redundancy    INTEGER NOT NULL CHECK (redundancy BETWEEN 1 AND 100),"
    "  est_seconds   INTEGER NOT NULL CHECK (est_seconds BETWEEN 1 AND 86400),"
    "  deadline      INTEGER,"
    "  state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','paused','closed')),"
    "  extra_columns TEXT NOT NULL DEFAULT '[]',"
    "  created_at    INTEGER NOT NULL"
    ");"
    "CREATE INDEX batches_requester ON batches(requester_id);"

    "CREATE TABLE imports ("
    "  id             INTEGER PRIMARY KEY,"
    "  batch_id       INTEGER NOT NULL REFERENCES batches(id),"
    "  source         TEXT NOT NULL,"
    "  started_at     INTEGER NOT NULL,"
    "  finished_at    INTEGER,"
    "  rows_added     INTEGER NOT NULL DEFAULT 0,"
    "  rows_unchanged INTEGER NOT NULL DEFAULT 0,"
    "  rows_rejected  INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX imports_batch ON imports(batch_id);"

    "CREATE TABLE tasks ("
    "  id           INTEGER PRIMARY KEY,"
    "  batch_id     INTEGER NOT NULL REFERENCES batches(id),"
    "  ext_id       TEXT NOT NULL CHECK (length(ext_id) BETWEEN 1 AND 100),"
    "  type         TEXT NOT NULL CHECK (type IN ('verify','choice','transcribe')),"
    "  prompt       TEXT NOT NULL CHECK (length(prompt) > 0),"
    "  options      TEXT CHECK ((type = 'transcribe') = (options IS NULL)),"
    "  gold         TEXT,"
    "  redundancy   INTEGER CHECK (redundancy BETWEEN 1 AND 100),"
    "  reward_minor INTEGER CHECK (reward_minor >= 0),"
    "  extra        TEXT,"
    "  state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','done','cancelled')),"
    "  import_id    INTEGER NOT NULL REFERENCES imports(id),"
    "  source_line  INTEGER NOT NULL,"
    "  UNIQUE (batch_id, ext_id)"
    ");"
    "CREATE INDEX tasks_import ON tasks(import_id);"

    "CREATE TABLE workers ("
    "  id            INTEGER PRIMARY KEY,"
    "  phone         TEXT NOT NULL UNIQUE"
    "                CHECK (phone GLOB '+[1-9]*' AND phone NOT GLOB '+*[^0-9]*'"
    "                       AND length(phone) BETWEEN 8 AND 16),"
    "  name          TEXT,"
    "  lang          TEXT NOT NULL DEFAULT 'en',"
    "  state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','paused','stopped')),"
    "  paused_until  INTEGER,"
    "  hours_from    INTEGER CHECK (hours_from BETWEEN 0 AND 1439),"
    "  hours_to      INTEGER CHECK (hours_to BETWEEN 0 AND 1439),"
    "  payout_threshold_minor INTEGER CHECK (payout_threshold_minor >= 0),"
    "  operator      TEXT,"
    "  joined_at     INTEGER NOT NULL,"
    "  stopped_at    INTEGER,"
    "  CHECK ((hours_from IS NULL) = (hours_to IS NULL))"
    ");"

    "CREATE TABLE modems ("
    "  id           INTEGER PRIMARY KEY,"
    "  name         TEXT NOT NULL UNIQUE,"
    "  device       TEXT,"
    "  imei         TEXT,"
    "  imsi         TEXT,"
    "  iccid        TEXT,"
    "  own_number   TEXT,"
    "  operator     TEXT,"
    "  state        TEXT NOT NULL DEFAULT 'unknown',"
    "  last_seen_at INTEGER,"
    "  created_at   INTEGER NOT NULL"
    ");"

    "CREATE TABLE messages ("
    "  id              INTEGER PRIMARY KEY,"
    "  direction       TEXT NOT NULL CHECK (direction IN ('in','out')),"
    "  channel         TEXT NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms','ussd')),"
    "  peer            TEXT NOT NULL,"
    "  worker_id       INTEGER REFERENCES workers(id),"
    "  modem_id        INTEGER REFERENCES modems(id),"
    "  body            TEXT NOT NULL,"
    "  segments        INTEGER NOT NULL DEFAULT 1 CHECK (segments >= 1),"
    "  state           TEXT NOT NULL CHECK ("
    "      (direction = 'in' AND state IN ('received','handled','ignored')) OR"
    "      (direction = 'out' AND state IN ('queued','sending','sent','delivered','failed','unknown'))),"
    "  dedupe_key      TEXT UNIQUE,"
    "  attempts        INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER,"
    "  mr              INTEGER,"
    "  error           TEXT,"
    "  created_at      INTEGER NOT NULL,"
    "  updated_at      INTEGER NOT NULL"
    ");"
    "CREATE INDEX messages_outbox ON messages(next_attempt_at)"
    "  WHERE direction = 'out' AND state IN ('queued','sending');"
    "CREATE INDEX messages_inbox ON messages(id) WHERE direction = 'in' AND state = 'received';"
    "CREATE INDEX messages_worker ON messages(worker_id, id);"

    "CREATE TABLE consents ("
    "  id            INTEGER PRIMARY KEY,"
    "  worker_id     INTEGER NOT NULL REFERENCES workers(id),"
    "  event         TEXT NOT NULL CHECK (event IN ('join','stop','resume')),"
    "  terms_version TEXT NOT NULL,"
    "  message_id    INTEGER REFERENCES messages(id),"
    "  at            INTEGER NOT NULL"
    ");"
    "CREATE INDEX consents_worker ON consents(worker_id, at);"
    "CREATE TRIGGER consents_append_only_u BEFORE UPDATE ON consents"
    "  BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;"
    "CREATE TRIGGER consents_append_only_d BEFORE DELETE ON consents"
    "  BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;"

    "CREATE TABLE assignments ("
    "  id          INTEGER PRIMARY KEY,"
    "  task_id     INTEGER NOT NULL REFERENCES tasks(id),"
    "  worker_id   INTEGER NOT NULL REFERENCES workers(id),"
    "  ref         INTEGER NOT NULL CHECK (ref BETWEEN 1 AND 9999),"
    "  state       TEXT NOT NULL CHECK (state IN ('offered','answered','skipped','expired','cancelled')),"
    "  offered_at  INTEGER NOT NULL,"
    "  due_at      INTEGER NOT NULL,"
    "  extensions  INTEGER NOT NULL DEFAULT 0 CHECK (extensions >= 0),"
    "  message_id  INTEGER REFERENCES messages(id),"
    "  closed_at   INTEGER,"
    "  UNIQUE (task_id, worker_id),"
    "  CHECK ((state = 'offered') = (closed_at IS NULL))"
    ");"
    "CREATE UNIQUE INDEX assignments_open_ref ON assignments(worker_id, ref) WHERE state = 'offered';"
    "CREATE INDEX assignments_due ON assignments(due_at) WHERE state = 'offered';"

    "CREATE TABLE answers ("
    "  id            INTEGER PRIMARY KEY,"
    "  task_id       INTEGER NOT NULL REFERENCES tasks(id),"
    "  worker_id     INTEGER NOT NULL REFERENCES workers(id),"
    "  assignment_id INTEGER REFERENCES assignments(id),"
    "  message_id    INTEGER REFERENCES messages(id),"
    "  value         TEXT NOT NULL,"
    "  raw           TEXT NOT NULL,"
    "  state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','accepted','rejected')),"
    "  reject_reason TEXT CHECK (state <> 'rejected' OR length(reject_reason) > 0),"
    "  received_at   INTEGER NOT NULL,"
    "  UNIQUE (task_id, worker_id)"
    ");"
    "CREATE INDEX answers_worker ON answers(worker_id);"

    "CREATE TABLE appeals ("
    "  id         INTEGER PRIMARY KEY,"
    "  answer_id  INTEGER NOT NULL REFERENCES answers(id),"
    "  worker_id  INTEGER NOT NULL REFERENCES workers(id),"
    "  reason     TEXT NOT NULL,"
    "  state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','upheld','overturned')),"
    "  reviewer   TEXT,"
    "  decision   TEXT,"
    "  opened_at  INTEGER NOT NULL,"
    "  decided_at INTEGER,"
    "  CHECK ((state = 'open') = (decided_at IS NULL))"
    ");"
    "CREATE UNIQUE INDEX appeals_one_open ON appeals(answer_id) WHERE state = 'open';"

    "CREATE TABLE payouts ("
    "  id              INTEGER PRIMARY KEY,"
    "  worker_id       INTEGER NOT NULL REFERENCES workers(id),"
    "  amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),"
    "  fee_minor       INTEGER NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),"
    "  currency        TEXT NOT NULL CHECK (length(currency) = 3),"
    "  phone           TEXT NOT NULL,"
    "  state           TEXT NOT NULL CHECK (state IN"
    "                  ('requested','approved','sending','sent','confirmed','failed','unknown')),"
    "  idempotency_key TEXT NOT NULL UNIQUE,"
    "  provider_ref    TEXT UNIQUE,"
    "  error           TEXT,"
    "  created_at      INTEGER NOT NULL,"
    "  updated_at      INTEGER NOT NULL"
    ");"
    "CREATE INDEX payouts_worker ON payouts(worker_id);"
    "CREATE INDEX payouts_pending ON payouts(state) WHERE state IN ('approved','sending','unknown');"

    "CREATE TABLE ledger_entries ("
    "  id           INTEGER PRIMARY KEY,"
    "  worker_id    INTEGER REFERENCES workers(id),"
    "  requester_id INTEGER REFERENCES requesters(id),"
    "  kind         TEXT NOT NULL CHECK (kind IN ('reward','sms_refund','retainer','payout',"
    "               'payout_fee','payout_reversal','hold','release','adjustment')),"
    "  amount_minor INTEGER NOT NULL,"
    "  currency     TEXT NOT NULL CHECK (length(currency) = 3),"
    "  answer_id    INTEGER REFERENCES answers(id),"
    "  payout_id    INTEGER REFERENCES payouts(id),"
    "  message_id   INTEGER REFERENCES messages(id),"
    "  memo         TEXT,"
    "  created_at   INTEGER NOT NULL,"
    "  CHECK (worker_id IS NOT NULL OR requester_id IS NOT NULL)"
    ");"
    "CREATE INDEX ledger_worker ON ledger_entries(worker_id, currency);"
    "CREATE INDEX ledger_payout ON ledger_entries(payout_id) WHERE payout_id IS NOT NULL;"
    "CREATE UNIQUE INDEX ledger_once_per_answer ON ledger_entries(answer_id, kind)"
    "  WHERE answer_id IS NOT NULL AND kind IN ('reward','sms_refund');"
    "CREATE UNIQUE INDEX ledger_once_per_message ON ledger_entries(message_id, kind)"
    "  WHERE message_id IS NOT NULL AND kind = 'sms_refund';"
    "CREATE TRIGGER ledger_append_only_u BEFORE UPDATE ON ledger_entries"
    "  BEGIN SELECT RAISE(ABORT, 'ledger_entries are append-only'); END;"
    "CREATE TRIGGER ledger_append_only_d BEFORE DELETE ON ledger_entries"
    "  BEGIN SELECT RAISE(ABORT, 'ledger_entries are append-only'); END;"

    "CREATE TABLE retainers ("
    "  id           INTEGER PRIMARY KEY,"
    "  requester_id INTEGER NOT NULL REFERENCES requesters(id),"
    "  worker_id    INTEGER NOT NULL REFERENCES workers(id),"
    "  starts_at    INTEGER NOT NULL,"
    "  ends_at      INTEGER NOT NULL CHECK (ends_at > starts_at),"
    "  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),"
    "  currency     TEXT NOT NULL CHECK (length(currency) = 3),"
    "  created_at   INTEGER NOT NULL"
    ");"

    "CREATE TABLE asks ("
    "  id         INTEGER PRIMARY KEY,"
    "  task_id    INTEGER NOT NULL REFERENCES tasks(id),"
    "  worker_id  INTEGER NOT NULL REFERENCES workers(id),"
    "  question   TEXT NOT NULL,"
    "  reply      TEXT,"
    "  asked_at   INTEGER NOT NULL,"
    "  replied_at INTEGER,"
    "  CHECK ((reply IS NULL) = (replied_at IS NULL))"
    ");"

    "CREATE TABLE certificates ("
    "  code       TEXT PRIMARY KEY,"
    "  worker_id  INTEGER NOT NULL REFERENCES workers(id),"
    "  issued_at  INTEGER NOT NULL,"
    "  tasks_done INTEGER NOT NULL CHECK (tasks_done >= 0),"
    "  summary    TEXT NOT NULL"
    ") WITHOUT ROWID;";

/*
 * Step 2: what the task engine needs (docs/engine.md). tasks.wanted is the
 * answers a task wants (its redundancy, plus any escalation); tasks.taken is
 * its open offers plus answered offers, kept by triggers on assignments so
 * dispatch reads the pool from one index instead of counting. A result row
 * says how a task ended: resolved (with its consensus) or review. answers.late
 * marks an answer that came after its offer was returned to the pool (recorded,
 * not paid, not counted); answers.agrees is set when the task is resolved (or
 * at once for gold) and feeds the worker's accuracy feedback; answers.rejected_at
 * starts the appeal window.
 */
static const char schema_v2[] =
    "ALTER TABLE tasks ADD COLUMN wanted INTEGER NOT NULL DEFAULT 0 CHECK (wanted >= 0);"
    "ALTER TABLE tasks ADD COLUMN taken INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0);"
    "UPDATE tasks SET wanted = coalesce(redundancy,"
    "  (SELECT b.redundancy FROM batches b WHERE b.id = tasks.batch_id)),"
    " taken = (SELECT count(*) FROM assignments a WHERE a.task_id = tasks.id"
    "  AND a.state IN ('offered','answered'));"
    "CREATE TRIGGER tasks_wanted_init AFTER INSERT ON tasks"
    "  BEGIN UPDATE tasks SET wanted = coalesce(NEW.redundancy,"
    "    (SELECT b.redundancy FROM batches b WHERE b.id = NEW.batch_id)) WHERE id = NEW.id; END;"
    "CREATE TRIGGER assignments_taken_i AFTER INSERT ON assignments"
    "  WHEN NEW.state IN ('offered','answered')"
    "  BEGIN UPDATE tasks SET taken = taken + 1 WHERE id = NEW.task_id; END;"
    "CREATE TRIGGER assignments_taken_u AFTER UPDATE OF state ON assignments"
    "  WHEN (OLD.state IN ('offered','answered')) <> (NEW.state IN ('offered','answered'))"
    "  BEGIN UPDATE tasks SET taken = taken +"
    "    (CASE WHEN NEW.state IN ('offered','answered') THEN 1 ELSE -1 END)"
    "    WHERE id = NEW.task_id; END;"
    "CREATE TRIGGER assignments_taken_d AFTER DELETE ON assignments"
    "  WHEN OLD.state IN ('offered','answered')"
    "  BEGIN UPDATE tasks SET taken = taken - 1 WHERE id = OLD.task_id; END;"
    "CREATE INDEX tasks_pool ON tasks(taken, id)"
    "  WHERE state = 'open' AND gold IS NULL AND taken < wanted;"
    "CREATE INDEX tasks_gold ON tasks(taken, id) WHERE state = 'open' AND gold IS NOT NULL;"
    "CREATE INDEX assignments_worker ON assignments(worker_id, offered_at);"

    "ALTER TABLE answers ADD COLUMN late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1));"
    "ALTER TABLE answers ADD COLUMN agrees INTEGER CHECK (agrees IN (0, 1));"
    "ALTER TABLE answers ADD COLUMN rejected_at INTEGER;"
    "CREATE INDEX answers_pending ON answers(received_at) WHERE state = 'pending';"
    "CREATE INDEX ledger_answer ON ledger_entries(answer_id) WHERE answer_id IS NOT NULL;"
    "CREATE INDEX appeals_open ON appeals(opened_at) WHERE state = 'open';"

    "CREATE TABLE task_results ("
    "  task_id      INTEGER PRIMARY KEY REFERENCES tasks(id),"
    "  state        TEXT NOT NULL CHECK (state IN ('resolved','review')),"
    "  consensus    TEXT CHECK ((state = 'resolved') = (consensus IS NOT NULL)),"
    "  votes        INTEGER NOT NULL CHECK (votes >= 0),"
    "  answers      INTEGER NOT NULL CHECK (answers >= votes),"
    "  agreement    INTEGER NOT NULL CHECK (agreement BETWEEN 0 AND 100),"
    "  resolved_at  INTEGER NOT NULL"
    ");"
    "CREATE INDEX task_results_review ON task_results(task_id) WHERE state = 'review';";

/*
 * Step 3: the daemon's durable queues (docs/schema.md, gateway/inbox.c,
 * gateway/outbox.c). inbox_parts holds every inbound SMS part, committed
 * before the SIM copy is deleted; parts sharing set_key reassemble into one
 * message, handed over once (message_id set in the same transaction as the
 * messages row). outbox_parts holds each outbound message's encoded PDUs with
 * their own state machine, persisted before each send. sms_counts counts the
 * parts each SIM sent per local day (the daily cap). messages.kind says
 * whether an outbound message answers the worker (any hour) or is unsolicited
 * (push window only). modems gains the status snapshot `kazi status` shows.
 */
static const char schema_v3[] =
    "CREATE TABLE inbox_parts ("
    "  id          INTEGER PRIMARY KEY,"
    "  modem       TEXT NOT NULL,"
    "  sender      TEXT NOT NULL,"
    "  ref         INTEGER NOT NULL CHECK (ref BETWEEN 0 AND 65535),"
    "  ref_bits    INTEGER NOT NULL CHECK (ref_bits IN (0, 8, 16)),"
    "  total       INTEGER NOT NULL CHECK (total BETWEEN 1 AND 255),"
    "  seq         INTEGER NOT NULL CHECK (seq BETWEEN 1 AND total),"
    "  scts        TEXT NOT NULL,"
    "  pdu_hex     TEXT NOT NULL CHECK (length(pdu_hex) BETWEEN 2 AND 360),"
    "  dedupe_key  TEXT NOT NULL UNIQUE,"
    "  set_key     TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  message_id  INTEGER REFERENCES messages(id)"
    ");"
    "CREATE INDEX inbox_parts_waiting ON inbox_parts(set_key, seq) WHERE message_id IS NULL;"

    "CREATE TABLE outbox_parts ("
    "  id              INTEGER PRIMARY KEY,"
    "  message_id      INTEGER NOT NULL REFERENCES messages(id),"
    "  seq             INTEGER NOT NULL CHECK (seq BETWEEN 1 AND total),"
    "  total           INTEGER NOT NULL CHECK (total BETWEEN 1 AND 255),"
    "  pdu_hex         TEXT NOT NULL CHECK (length(pdu_hex) BETWEEN 2 AND 360),"
    "  tpdu_len        INTEGER NOT NULL CHECK (tpdu_len BETWEEN 1 AND 180),"
    "  state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN"
    "                  ('queued','sending','sent','delivered','failed','unknown')),"
    "  modem           TEXT,"
    "  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  mr              INTEGER CHECK (mr BETWEEN 0 AND 255),"
    "  error           TEXT,"
    "  sent_at         INTEGER,"
    "  updated_at      INTEGER NOT NULL,"
    "  UNIQUE (message_id, seq),"
    "  CHECK (state = 'queued' OR modem IS NOT NULL)"
    ");"
    "CREATE INDEX outbox_parts_due ON outbox_parts(next_attempt_at, message_id, seq)"
    "  WHERE state = 'queued';"
    "CREATE INDEX outbox_parts_sending ON outbox_parts(updated_at) WHERE state = 'sending';"
    "CREATE INDEX outbox_parts_mr ON outbox_parts(modem, mr, sent_at) WHERE state = 'sent';"

    "CREATE TABLE sms_counts ("
    "  modem TEXT NOT NULL,"
    "  day   TEXT NOT NULL CHECK (length(day) = 10),"
    "  sent  INTEGER NOT NULL DEFAULT 0 CHECK (sent >= 0),"
    "  PRIMARY KEY (modem, day)"
    ") WITHOUT ROWID;"

    "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply'"
    "  CHECK (kind IN ('reply','unsolicited'));"

    "ALTER TABLE modems ADD COLUMN signal_dbm INTEGER;"
    "ALTER TABLE modems ADD COLUMN queue INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE modems ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE modems ADD COLUMN received INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE modems ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE modems ADD COLUMN last_error TEXT;";

/*
 * Step 4: a human settles a task in review (tasks/engine_review.c): who did
 * it and when, beside the consensus they gave (docs/engine.md, "Needs
 * review"); and messages by peer and time and offers by their message,
 * which the conversation's rate limits and repeat check read for every
 * inbound SMS (without them each SMS scans the whole message log and every
 * offer ever made).
 */
static const char schema_v4[] =
    "ALTER TABLE task_results ADD COLUMN reviewer TEXT;"
    "ALTER TABLE task_results ADD COLUMN reviewed_at INTEGER;"
    "CREATE INDEX messages_peer ON messages(peer, created_at);"
    "CREATE INDEX assignments_message ON assignments(message_id) WHERE message_id IS NOT NULL;";

/*
 * Step 5: what payouts need beyond migration 1 (tasks/payout*.c, docs/payouts.md).
 *  - payouts_one_in_flight: at most one payout per worker requested,
 *    approved, sending, sent or unknown.
 *  - ledger_once_per_payout: one debit, one reversal, one fee per payout.
 *  - payout_events: append-only history of each payout (state entered,
 *    method at submit, who decided, why); state 'commit' marks the PIN sent.
 *  - payout_sms: provider SMS seen, once per (provider, transaction id or
 *    text), with what they did (matched, failed, unmatched, conflict, balance).
 *  - payout_float: the gateway's own mobile-money balance as last seen.
 *  - retainer_days: one accrual per retainer and local day.
 */
static const char schema_v5[] =
    "CREATE UNIQUE INDEX payouts_one_in_flight ON payouts(worker_id)"
    "  WHERE state IN ('requested','approved','sending','sent','unknown');"
    "CREATE UNIQUE INDEX ledger_once_per_payout ON ledger_entries(payout_id, kind)"
    "  WHERE payout_id IS NOT NULL AND kind IN ('payout','payout_fee','payout_reversal');"
    "CREATE TABLE payout_events ("
    "  id        INTEGER PRIMARY KEY,"
    "  payout_id INTEGER NOT NULL REFERENCES payouts(id),"
    "  state     TEXT NOT NULL CHECK (state IN ('requested','sending','commit','sent',"
    "            'confirmed','failed','unknown')),"
    "  method    TEXT CHECK (method IN ('ussd','file','airtime')),"
    "  actor     TEXT NOT NULL,"
    "  note      TEXT,"
    "  at        INTEGER NOT NULL"
    ");"
    "CREATE INDEX payout_events_payout ON payout_events(payout_id, id);"
    "CREATE INDEX payout_events_day ON payout_events(at) WHERE state = 'sending';"
    "CREATE TRIGGER payout_events_append_only_u BEFORE UPDATE ON payout_events"
    "  BEGIN SELECT RAISE(ABORT, 'payout_events are append-only'); END;"
    "CREATE TRIGGER payout_events_append_only_d BEFORE DELETE ON payout_events"
    "  BEGIN SELECT RAISE(ABORT, 'payout_events are append-only'); END;"
    "CREATE TABLE payout_sms ("
    "  id             INTEGER PRIMARY KEY,"
    "  provider       TEXT NOT NULL,"
    "  sender         TEXT,"
    "  dedupe_key     TEXT NOT NULL,"
    "  type           TEXT NOT NULL,"
    "  failure        TEXT,"
    "  transaction_id TEXT,"
    "  amount_minor   INTEGER,"
    "  currency       TEXT,"
    "  phone          TEXT,"
    "  balance_minor  INTEGER,"
    "  payout_id      INTEGER REFERENCES payouts(id),"
    "  outcome        TEXT NOT NULL CHECK (outcome IN"
    "                 ('matched','failed','unmatched','conflict','balance')),"
    "  body           TEXT NOT NULL,"
    "  received_at    INTEGER NOT NULL,"
    "  UNIQUE (provider, dedupe_key)"
    ");"
    "CREATE TABLE payout_float ("
    "  id            INTEGER PRIMARY KEY,"
    "  provider      TEXT NOT NULL,"
    "  currency      TEXT NOT NULL CHECK (length(currency) = 3),"
    "  balance_minor INTEGER NOT NULL,"
    "  source        TEXT NOT NULL,"
    "  at            INTEGER NOT NULL"
    ");"
    "CREATE TABLE retainer_days ("
    "  retainer_id INTEGER NOT NULL REFERENCES retainers(id),"
    "  day         TEXT NOT NULL,"
    "  ledger_id   INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),"
    "  PRIMARY KEY (retainer_id, day)"
    ") WITHOUT ROWID;";

/*
 * Step 6: inbound abuse limits (tasks/conv_abuse.c, docs/sms-commands.md
 * "Limits"). messages.reason says why an inbound message was not acted on
 * or not answered ('binary', 'oversized', 'rate', 'repeat', 'reply_cap',
 * 'reply_limit', 'sender'); messages.norm_hash is the hash of an inbound
 * message's normalised text when it was not taken as an answer (answers
 * never count as repeats). number_flags records, once per number, kind and
 * local day, that a limit was reached (`kazi flags`), so each is logged once.
 */
static const char schema_v6[] =
    "ALTER TABLE messages ADD COLUMN reason TEXT;"
    "ALTER TABLE messages ADD COLUMN norm_hash INTEGER;"
    "CREATE INDEX messages_repeat ON messages(peer, norm_hash, created_at)"
    "  WHERE direction = 'in' AND norm_hash IS NOT NULL;"
    "CREATE TABLE number_flags ("
    "  peer       TEXT NOT NULL,"
    "  kind       TEXT NOT NULL CHECK (kind IN ('rate','repeat','reply_cap','oversized','binary')),"
    "  day        TEXT NOT NULL CHECK (length(day) = 10),"
    "  first_at   INTEGER NOT NULL,"
    "  last_at    INTEGER NOT NULL,"
    "  hits       INTEGER NOT NULL DEFAULT 1 CHECK (hits >= 1),"
    "  message_id INTEGER REFERENCES messages(id),"
    "  PRIMARY KEY (peer, kind, day)"
    ") WITHOUT ROWID;"
    "CREATE INDEX number_flags_last ON number_flags(last_at);";

/*
 * Step 7: USSD sessions (tasks/ussd_menu.c, docs/http.md "USSD"). One row per
 * aggregator sessionId: the phone it belongs to (a reused id from another
 * phone is refused), the worker, the screen shown and its text, the task the
 * screen shows, how many inputs of the callback's text were consumed and
 * which (so a retried callback gets the same screen and is never acted on
 * twice), the language a stranger chose, the amount a cash-out screen asked
 * to confirm, when it started and was last seen, and whether it is still
 * open. Rows are pruned a day after they were last seen.
 */
static const char schema_v7[] =
    "CREATE TABLE ussd_sessions ("
    "  session_id    TEXT PRIMARY KEY CHECK (length(session_id) BETWEEN 1 AND 64),"
    "  phone         TEXT NOT NULL,"
    "  worker_id     INTEGER REFERENCES workers(id),"
    "  service_code  TEXT NOT NULL,"
    "  lang          TEXT,"
    "  screen        TEXT NOT NULL,"
    "  screen_text   TEXT NOT NULL,"
    "  reply         TEXT NOT NULL,"
    "  assignment_id INTEGER REFERENCES assignments(id),"
    "  amount_minor  INTEGER NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),"
    "  inputs        INTEGER NOT NULL DEFAULT 0 CHECK (inputs >= 0),"
    "  consumed      TEXT NOT NULL DEFAULT '',"
    "  state         TEXT NOT NULL DEFAULT 'open'"
    "                CHECK (state = 'open' OR state = 'ended' OR state = 'expired'),"
    "  created_at    INTEGER NOT NULL,"
    "  last_seen_at  INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX ussd_sessions_seen ON ussd_sessions(last_seen_at);";

/*
 * Step 8: cheaper writes, same rules. The CHECK constraints' IN lists become
 * OR chains (tasks/store_schema_checks.c says why), and the trigger that
 * filled tasks.wanted after each insert (a second write of every new task)
 * goes: the insert sets wanted itself (ST_TASK_INSERT in tasks/store.c).
 * New tables written after this step use the OR form from the start.
 */
static const char schema_v8[] = "DROP TRIGGER tasks_wanted_init;";

/*
 * Step 9: the indexes of the inbound path. Every query of the conversation's
 * limits reads one number's messages of one direction since a time (the
 * reply limits' windows, the local day's cap, the inbound rate): with
 * direction and channel in the index they are counted from the index alone,
 * without reading the other direction's rows or any table row. A worker's
 * open offers (the answer's offer, the refs listed in replies, the open-offer
 * limit) come from a partial index of open offers in offer order, instead of
 * every offer the worker was ever made.
 */
static const char schema_v9[] =
    "DROP INDEX messages_peer;"
    "CREATE INDEX messages_peer_dir ON messages(peer, direction, created_at, channel);"
    "CREATE INDEX assignments_open ON assignments(worker_id, id) WHERE state = 'offered';";

/* The steps, in order; index i is version i+1. Append only. */
static const migration migrations[] = {
    {"the product schema", schema_v1, NULL},
    {"task engine: pool counters, results, late answers", schema_v2, NULL},
    {"daemon queues: inbox and outbox parts, daily SMS counts", schema_v3, NULL},
    {"review settlements, messages by peer", schema_v4, NULL},
    {"payouts: one in flight, events, provider SMS, float, retainer days", schema_v5, NULL},
    {"inbound abuse limits: reasons, repeat hashes, number flags", schema_v6, NULL},
    {"USSD sessions", schema_v7, NULL},
    {"CHECK constraints without IN lists; tasks.wanted set by the insert", schema_v8,
     store_schema_rewrite_checks},
    {"messages by peer, direction and time; open offers by worker", schema_v9, NULL},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_latest(void)
{
    return N_MIGRATIONS;
}

static int read_version(kz_store *st)
{
    db_stmt *s = NULL;
    int v = -1;
    if (db_prepare(st->db, "PRAGMA user_version", 0, &s) == DB_OK &&
        db_step(s) == DB_ROW)
        v = db_column_int(s, 0);
    db_finalize(s);
    return v;
}

int store_schema_version(kz_store *st)
{
    if (db_backend(st->db) == DB_POSTGRES)
        return store_schema_version_pg(st);
    return read_version(st);
}

/* Run one DDL script (several statements) on the connection. */
static kz_status exec_script(kz_store *st, const char *sql, const char *what, kz_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db_sqlite(st->db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        kz_status rc = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s", what,
                                  msg ? msg : db_errmsg(st->db));
        sqlite3_free(msg);
        return rc;
    }
    return KZ_OK;
}

kz_status store_migrate(kz_store *st, int upto, kz_err *err)
{
    if (upto < 0 || upto > N_MIGRATIONS)
        upto = N_MIGRATIONS;
    if (db_backend(st->db) == DB_POSTGRES) /* created whole by store_open_pg */
        return store_schema_version_pg(st) >= upto ? KZ_OK
               : kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                            "PostgreSQL schema below version %d", upto);
    for (;;) {
        kz_status rc = store_begin(st, err);
        if (rc != KZ_OK)
            return rc;
        /* Read the version under the write lock: another process may have migrated. */
        int v = read_version(st);
        if (v < 0) {
            store_rollback(st);
            return store_db_err(st, err, "reading user_version");
        }
        if (v > N_MIGRATIONS) {
            store_rollback(st);
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "database schema version %d is newer than this kazi (%d)", v,
                              N_MIGRATIONS);
        }
        if (v >= upto) {
            store_rollback(st);
            return KZ_OK;
        }
        char what[96];
        snprintf(what, sizeof what, "migration %d (%s)", v + 1, migrations[v].what);
        char bump[40];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        rc = exec_script(st, migrations[v].sql, what, err);
        if (rc == KZ_OK && migrations[v].code)
            rc = migrations[v].code(st, err);
        if (rc == KZ_OK)
            rc = exec_script(st, bump, what, err);
        if (rc == KZ_OK)
            rc = store_commit(st, err);
        if (rc != KZ_OK) {
            store_rollback(st);
            return rc;
        }
    }
}

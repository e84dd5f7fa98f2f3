-- cost_kinds.sql - the outbound SMS parts of a run broken down by what they
-- carried (issue 8, "Cost: SMS segments per completed task"), for
-- bench/bench_loop.sh and by hand on a kept soak database:
--     sqlite3 -cmd '.mode list' DB <bench/cost_kinds.sql
-- Every part handed to a modem counts (sent, delivered, unknown or failed),
-- retried parts once per attempt beyond the first (column "retries").
-- Classified by the text's opening words in English and Kiswahili
-- (tasks/templates/*.tmpl). Owns: that classification. Never writes.
WITH out AS (
    SELECT m.id, m.segments AS segs, m.body AS b,
           (SELECT count(*) FROM outbox_parts p WHERE p.message_id = m.id
             AND p.state IN ('sent','delivered','unknown','failed') AND p.attempts > 0) AS parts,
           (SELECT coalesce(sum(p.attempts - 1), 0) FROM outbox_parts p
             WHERE p.message_id = m.id AND p.attempts > 1) AS retries
      FROM messages m WHERE m.direction = 'out' AND m.channel = 'sms'),
kinds AS (
    SELECT parts, retries, segs,
      CASE
        WHEN b LIKE 'Welcome to Kazi%' OR b LIKE 'Karibu Kazi%' THEN
          CASE WHEN b LIKE '%#%' THEN 'welcome+offer' ELSE 'welcome' END
        WHEN b LIKE 'Welcome back%' OR b LIKE 'Karibu tena%' THEN 'welcome back'
        WHEN (b LIKE 'Got %' OR b LIKE 'OK %' OR b LIKE 'Tumepokea %' OR b LIKE 'Sawa %')
             AND b LIKE '%#%' THEN 'offer+ack'
        WHEN (b LIKE 'Skipped %' OR b LIKE 'Umeruka %') AND b LIKE '%#%' THEN 'offer+skip'
        WHEN b LIKE '#%' THEN 'offer'
        WHEN b LIKE 'Got %' OR b LIKE 'Tumepokea %' THEN 'ack alone'
        WHEN b LIKE 'No task free%' OR b LIKE 'No new task%' OR b LIKE 'Hakuna kazi%'
          THEN 'no task free'
        WHEN b LIKE 'Task % had timed out%' OR b LIKE 'Muda wa kazi%' THEN 'late'
        WHEN b LIKE 'Task % was not accepted%' OR b LIKE 'Your appeal%'
             OR b LIKE 'Kazi % haikukubaliwa%' OR b LIKE 'Rufaa yako%' THEN 'notice'
        WHEN b LIKE 'Paid:%' OR b LIKE 'Umelipwa:%' OR b LIKE 'Your payout%'
             OR b LIKE 'Payout of%' OR b LIKE 'Malipo%' OR b LIKE 'Balance%' OR b LIKE 'Salio%'
          THEN 'money'
        WHEN b LIKE 'You have left%' OR b LIKE 'Umeondoka%' THEN 'stop'
        ELSE 'other'
      END AS kind
      FROM out)
SELECT kind, count(*) AS messages, sum(parts) AS parts, sum(retries) AS retries,
       sum(segs > 1) AS multipart
  FROM kinds GROUP BY kind ORDER BY parts DESC;

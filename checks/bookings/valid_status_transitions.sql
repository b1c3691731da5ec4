-- description: Every step of booking_status_history, in changed_at order, is a
--   legal transition (pending->confirmed, pending->cancelled,
--   confirmed->in-progress, confirmed->cancelled, in-progress->completed; a step
--   with no from_status is the creation, to pending, and comes first), starts
--   from the status the previous step ended in, and the booking's current status
--   equals its last step. A booking with no history at all is reported too.
--   Steps with the same changed_at (one transaction: an instant booking is
--   created and confirmed at once) are taken in lifecycle order.
-- severity: critical
-- key: booking_id, problem
WITH ranked AS (
    SELECT h.booking_id, h.from_status, h.to_status, h.changed_at,
           CASE WHEN h.from_status IS NULL THEN 0
                WHEN h.from_status = 'pending' THEN 1
                WHEN h.from_status = 'confirmed' THEN 2
                WHEN h.from_status = 'in-progress' THEN 3
                ELSE 4 END AS lifecycle
    FROM booking_status_history h
),
steps AS (
    SELECT r.booking_id, r.from_status, r.to_status, r.changed_at,
           LAG(r.to_status) OVER (PARTITION BY r.booking_id ORDER BY r.changed_at, r.lifecycle) AS previous_status,
           ROW_NUMBER() OVER (PARTITION BY r.booking_id ORDER BY r.changed_at, r.lifecycle) AS step_no,
           ROW_NUMBER() OVER (PARTITION BY r.booking_id ORDER BY r.changed_at DESC, r.lifecycle DESC) AS steps_from_end
    FROM ranked r
),
judged AS (
    SELECT s.*,
           CASE
               WHEN s.from_status IS NULL AND s.step_no > 1 THEN 'creation step is not the first'
               WHEN s.from_status IS NULL AND s.to_status <> 'pending' THEN 'created in a status other than pending'
               WHEN s.from_status IS NULL THEN NULL
               WHEN s.step_no > 1 AND s.from_status <> s.previous_status THEN 'step does not start from the previous status'
               WHEN (s.from_status = 'pending' AND s.to_status IN ('confirmed', 'cancelled'))
                 OR (s.from_status = 'confirmed' AND s.to_status IN ('in-progress', 'cancelled'))
                 OR (s.from_status = 'in-progress' AND s.to_status = 'completed') THEN NULL
               ELSE 'illegal transition'
           END AS problem
    FROM steps s
)
SELECT booking_id, property_id, current_status, step_no, from_status, to_status, changed_at, problem
FROM (
    SELECT j.booking_id, b.property_id, b.status AS current_status, j.step_no,
           j.from_status, j.to_status, j.changed_at, j.problem
    FROM judged j
    LEFT JOIN bookings b ON b.id = j.booking_id
    WHERE j.problem IS NOT NULL
    UNION ALL
    SELECT b.id, b.property_id, b.status, j.step_no, j.from_status, j.to_status, j.changed_at,
           CASE WHEN j.booking_id IS NULL THEN 'no status history'
                ELSE 'current status is not the last step'
           END
    FROM bookings b
    LEFT JOIN judged j ON j.booking_id = b.id AND j.steps_from_end = 1
    WHERE j.booking_id IS NULL OR j.to_status <> b.status OR b.status IS NULL
) violations
ORDER BY booking_id, COALESCE(step_no, 0), problem

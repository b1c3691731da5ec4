-- description: A booking is in-progress only from its check-in date to its
--   check-out date (both included), and completed only on or after its check-out
--   date. :today is the run's UTC date.
-- severity: warning
-- key: booking_id
SELECT b.id AS booking_id, b.property_id, b.status, b.check_in, b.check_out,
       CASE
           WHEN b.status = 'in-progress' AND b.check_in > :today THEN 'in-progress before check-in'
           WHEN b.status = 'in-progress' THEN 'in-progress after check-out'
           ELSE 'completed before check-out'
       END AS problem
FROM bookings b
WHERE (b.status = 'in-progress' AND (b.check_in > :today OR b.check_out < :today))
   OR (b.status = 'completed' AND b.check_out > :today)
ORDER BY b.id

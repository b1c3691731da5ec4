-- description: Two non-cancelled bookings of one property whose stays intersect
--   (a.check_in < b.check_out and b.check_in < a.check_out). Back-to-back stays,
--   where one check-out is the next check-in, are legal. Each pair once.
-- severity: critical
-- noun: overlapping pair of bookings / overlapping pairs of bookings
-- noun: overlapping pair of bookings / overlapping pairs of bookings
-- key: booking_id, other_booking_id
SELECT a.id AS booking_id, b.id AS other_booking_id, a.property_id,
       a.check_in, a.check_out,
       b.check_in AS other_check_in, b.check_out AS other_check_out,
       a.status, b.status AS other_status
FROM bookings a
JOIN bookings b
  ON b.property_id = a.property_id
 AND a.id < b.id
 AND a.check_in < b.check_out
 AND b.check_in < a.check_out
WHERE a.status <> 'cancelled'
  AND b.status <> 'cancelled'
ORDER BY a.property_id, a.check_in, a.id, b.id

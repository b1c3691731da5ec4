-- description: One guest holds more than one non-cancelled booking of the same
--   property for the same check-in and check-out. Each extra copy is reported
--   against the lowest booking id of its group (duplicate_of).
-- severity: critical
-- key: booking_id
SELECT booking_id, duplicate_of, guest_id, property_id, check_in, check_out, status, copies
FROM (
    SELECT b.id AS booking_id,
           MIN(b.id) OVER (PARTITION BY b.guest_id, b.property_id, b.check_in, b.check_out) AS duplicate_of,
           COUNT(*) OVER (PARTITION BY b.guest_id, b.property_id, b.check_in, b.check_out) AS copies,
           b.guest_id, b.property_id, b.check_in, b.check_out, b.status
    FROM bookings b
    WHERE b.status <> 'cancelled'
) grouped
WHERE booking_id <> duplicate_of
ORDER BY property_id, check_in, duplicate_of, booking_id

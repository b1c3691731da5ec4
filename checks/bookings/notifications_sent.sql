-- description: Every confirmed, in-progress or completed booking has a
--   confirmation notification with status sent. confirmation_status is the status
--   of the confirmation that exists (NULL: none was ever recorded).
-- severity: critical
-- key: booking_id
SELECT booking_id, property_id, guest_id, status, check_in, check_out,
       confirmation_status,
       CASE WHEN confirmation_status IS NULL THEN 'no confirmation notification'
            ELSE 'confirmation not sent'
       END AS problem
FROM (
    SELECT b.id AS booking_id, b.property_id, b.guest_id, b.status, b.check_in, b.check_out,
           (SELECT MAX(n.status) FROM notifications n
            WHERE n.booking_id = b.id AND n.kind = 'confirmation') AS confirmation_status
    FROM bookings b
    WHERE b.status IN ('confirmed', 'in-progress', 'completed')
      AND NOT EXISTS (SELECT 1 FROM notifications n
                      WHERE n.booking_id = b.id
                        AND n.kind = 'confirmation'
                        AND n.status = 'sent')
) unsent
ORDER BY booking_id

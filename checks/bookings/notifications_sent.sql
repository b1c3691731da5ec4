-- description: Every confirmed, in-progress or completed booking has a
--   confirmation notification with status sent. confirmations is how many
--   confirmations were recorded for it (0: none), confirmations_failed and
--   confirmations_pending how many of them have those statuses; problem says which
--   comes first: one still pending, else all failed.
-- severity: critical
-- key: booking_id
SELECT booking_id, property_id, guest_id, status, check_in, check_out,
       confirmations, confirmations_failed, confirmations_pending,
       CASE WHEN confirmations = 0 THEN 'no confirmation notification'
            WHEN confirmations_pending > 0 THEN 'confirmation pending'
            WHEN confirmations_failed = confirmations THEN 'confirmation failed'
            ELSE 'confirmation not sent'
       END AS problem
FROM (
    SELECT b.id AS booking_id, b.property_id, b.guest_id, b.status, b.check_in, b.check_out,
           (SELECT COUNT(*) FROM notifications n
            WHERE n.booking_id = b.id AND n.kind = 'confirmation') AS confirmations,
           (SELECT COUNT(*) FROM notifications n
            WHERE n.booking_id = b.id AND n.kind = 'confirmation' AND n.status = 'failed') AS confirmations_failed,
           (SELECT COUNT(*) FROM notifications n
            WHERE n.booking_id = b.id AND n.kind = 'confirmation' AND n.status = 'pending') AS confirmations_pending
    FROM bookings b
    WHERE b.status IN ('confirmed', 'in-progress', 'completed')
      AND NOT EXISTS (SELECT 1 FROM notifications n
                      WHERE n.booking_id = b.id
                        AND n.kind = 'confirmation'
                        AND n.status = 'sent')
) unsent
ORDER BY booking_id

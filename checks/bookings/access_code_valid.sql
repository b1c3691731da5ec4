-- description: Every confirmed or in-progress booking has an active access code on
--   a device of its own property, valid from check-in (00:00 UTC) or earlier until
--   check-out (00:00 UTC) or later. code_valid_from/code_valid_to show the widest
--   window of the booking's active codes on its property (NULL: there is none).
-- severity: critical
-- key: booking_id
SELECT b.id AS booking_id, b.property_id, b.status, b.check_in, b.check_out,
       CASE
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c WHERE c.booking_id = b.id)
               THEN 'no access code'
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c
                            WHERE c.booking_id = b.id AND c.status = 'active')
               THEN 'no active access code'
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c
                            JOIN devices d ON d.id = c.device_id
                            WHERE c.booking_id = b.id AND c.status = 'active'
                              AND d.property_id = b.property_id)
               THEN 'active code is not on a device of the property'
           ELSE 'active code does not cover the stay'
       END AS problem,
       (SELECT MIN(c.valid_from) FROM access_codes c
        JOIN devices d ON d.id = c.device_id
        WHERE c.booking_id = b.id AND c.status = 'active'
          AND d.property_id = b.property_id) AS code_valid_from,
       (SELECT MAX(c.valid_to) FROM access_codes c
        JOIN devices d ON d.id = c.device_id
        WHERE c.booking_id = b.id AND c.status = 'active'
          AND d.property_id = b.property_id) AS code_valid_to
FROM bookings b
WHERE b.status IN ('confirmed', 'in-progress')
  AND NOT EXISTS (
      SELECT 1
      FROM access_codes c
      JOIN devices d ON d.id = c.device_id
      WHERE c.booking_id = b.id
        AND c.status = 'active'
        AND d.property_id = b.property_id
        AND c.valid_from <= b.check_in
        AND c.valid_to >= b.check_out)
ORDER BY b.id

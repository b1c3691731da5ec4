-- description: Every confirmed or in-progress booking has active access codes on
--   devices of its own property that together cover its stay, from check-in (00:00 UTC)
--   to check-out (00:00 UTC): one code, or consecutive codes where each starts at
--   or before the end of the one before (a replaced code). uncovered_from and
--   uncovered_until are the stay's first stretch that no such code covers.
-- severity: critical
-- key: booking_id
SELECT booking_id, property_id, status, check_in, check_out,
       CASE
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c WHERE c.booking_id = gaps.booking_id)
               THEN 'no access code'
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c
                            WHERE c.booking_id = gaps.booking_id AND c.status = 'active')
               THEN 'no active access code'
           WHEN NOT EXISTS (SELECT 1 FROM access_codes c
                            JOIN devices d ON d.id = c.device_id
                            WHERE c.booking_id = gaps.booking_id AND c.status = 'active'
                              AND d.property_id = gaps.property_id)
               THEN 'active code is not on a device of the property'
           ELSE 'active code does not cover the stay'
       END AS problem,
       uncovered_from,
       COALESCE((SELECT MIN(c.valid_from) FROM access_codes c
                 JOIN devices d ON d.id = c.device_id
                 WHERE c.booking_id = gaps.booking_id AND c.status = 'active'
                   AND d.property_id = gaps.property_id
                   AND c.valid_from > uncovered_from AND c.valid_from < check_out),
                check_out) AS uncovered_until
FROM (
    -- The stay is covered up to the end of the chain of codes starting at check-in: the
    -- earliest code end inside the stay that no other code continues past.
    SELECT b.id AS booking_id, b.property_id, b.status, b.check_in, b.check_out,
           CASE
               WHEN NOT EXISTS (SELECT 1 FROM access_codes c
                                JOIN devices d ON d.id = c.device_id
                                WHERE c.booking_id = b.id AND c.status = 'active'
                                  AND d.property_id = b.property_id
                                  AND c.valid_from <= b.check_in AND c.valid_to > b.check_in)
                   THEN b.check_in
               ELSE (SELECT MIN(c.valid_to) FROM access_codes c
                     JOIN devices d ON d.id = c.device_id
                     WHERE c.booking_id = b.id AND c.status = 'active'
                       AND d.property_id = b.property_id
                       AND c.valid_to >= b.check_in AND c.valid_to < b.check_out
                       AND NOT EXISTS (SELECT 1 FROM access_codes n
                                       JOIN devices nd ON nd.id = n.device_id
                                       WHERE n.booking_id = b.id AND n.status = 'active'
                                         AND nd.property_id = b.property_id
                                         AND n.valid_from <= c.valid_to AND n.valid_to > c.valid_to))
           END AS uncovered_from
    FROM bookings b
    WHERE b.status IN ('confirmed', 'in-progress')
) gaps
WHERE uncovered_from IS NOT NULL
ORDER BY booking_id

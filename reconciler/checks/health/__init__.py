"""Pipeline health measures: dead-letter queues (Redis), processing lag and write latency of
the new system. Their results carry `details.measure`, the quantity they hold."""

"""The scheduled service: APScheduler cron ticks over the jobs (scheduler), health and
Prometheus metrics over HTTP (http, metrics), JSON log lines (jsonlog)."""

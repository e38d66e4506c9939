"""The Event Grid stand-ins: topics the app publishes to with the real publisher client, delivering as Event Grid does
(durably, with its retry schedule and no-retry codes). Run one with `python -m local.eventgrid.standin`."""

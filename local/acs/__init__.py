"""The ACS stand-in: an HTTPS server answering the REST calls the app's ACS SDK clients make (Call Automation, Email,
SMS, Job Router) as the service does. Run it with `python -m local.acs.standin`."""

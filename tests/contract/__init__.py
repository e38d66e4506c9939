"""The API as integrators see it: the OpenAPI description (openapi/) checked against the app's routes and run against
the whole local stack with schemathesis, and the events' JSON Schemas checked against what the app publishes."""

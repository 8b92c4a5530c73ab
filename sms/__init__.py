"""The domain of a text message, with no Flask and no storage: rendering, encoding,
checks, phone numbers, send windows and gateways."""

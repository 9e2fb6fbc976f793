"""Bronze, silver and gold assets of the lakehouse, their expectations, contracts and sensor."""

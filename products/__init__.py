"""Product types (VCD, Usage Meter, Tenant App, RabbitMQ, any OVA) declared as data."""

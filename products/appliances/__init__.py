"""The appliance APIs of the product types: one module per type, the shared pieces in base."""

"""The product wizard, which defines a new environment or adds a product to a stored one, one step a page.

Each step's input is kept as the browser sent it, so moving back and forth shows it again. Secrets are
sealed with the project's Fernet key before they reach the session (whose rows are only signed), and
pages only ever show "********". Nothing here decides what is valid: the whole environment goes through
environment_validate / environment_submit, and each failure inside the new product is mapped back, by
its JSON path, onto the step and field it came from.

- session.py: `Wizard`, an open wizard in the session: its steps, its forms bound to what was kept, and
  keeping what the browser sent;
- steps.py: the steps, their fields, and how a step's input is kept (as sent, secrets sealed);
- forms.py: the steps' forms (the properties form generated from the product type's declaration);
- options.py: what the inventory and the repository offer the selects;
- assembly.py: the product spec the kept input makes;
- failures.py: the checker's failures put back onto the steps' fields.
"""

"""WTForms classes of the public registration flow."""

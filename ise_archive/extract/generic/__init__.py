"""Reading posts off pages of unknown templates."""

"""Smart charging: charging profiles, composite schedules and the limits stations report."""

"""Load management: sites, their electrical tree, and a controller that shares a site's capacity among its EVSEs."""

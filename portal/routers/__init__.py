"""The portal's routers, one per kind of user."""

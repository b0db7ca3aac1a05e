"""The portal's fixtures (signed-in clients, the app, its clock, the SMTP server), shared."""

from tests.portal.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    app_fixture,
    clock_fixture,
    served_as_testserver,
    sign_in_as_fixture,
    smtp_server_fixture,
)

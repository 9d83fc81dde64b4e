"""Steward workflows: the review queue, merge and exact unmerge, "not a match", match
quality. It imports mdm, never the reverse: the app finds it through the `mdm.plugins`
entry point (pyproject.toml) and it adds its routes when the app is built."""

from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin


class StewardshipPlugin(InitPlugin):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from stewardship.api import routers

        app_config.route_handlers.extend(routers())
        return app_config


plugin = StewardshipPlugin()

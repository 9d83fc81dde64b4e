"""Steward workflows: the review queue, merge and exact unmerge, "not a match", match
quality, and the workbench at /stewardship/. It imports mdm, never the reverse: the app
finds it through the `mdm.plugins` entry point (pyproject.toml) and it adds its routes and
templates when the app is built; `mdm match scan` finds its merge there too."""

from pathlib import Path
from typing import Any

from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig


class StewardshipPlugin(InitPlugin):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from stewardship.api import routers
        from stewardship.display import FILTERS
        from stewardship.workbench import PATH, workbench_router

        app_config.route_handlers.extend([*routers(), workbench_router])
        app_config.template_config = TemplateConfig(
            directory=Path(__file__).with_name("templates"),
            engine=JinjaTemplateEngine,
            engine_callback=lambda jinja: jinja.engine.filters.update(FILTERS),  # values, field names, instants
        )
        # the workbench signs its pages in with its own cookie, not a bearer header
        app_config.state["open_prefixes"] = (*app_config.state.get("open_prefixes", ()), PATH)
        return app_config

    @staticmethod
    async def link(session: Any, domain: Any, survivor_id: str, merged_ids: list[str], reason: str) -> dict[str, Any]:
        """The scan's merge of a pair at or above `auto_link` (stewardship.merge.link)."""
        from stewardship.merge import link

        return await link(session, domain, survivor_id, merged_ids, reason)


plugin = StewardshipPlugin()

"""Typed configuration of the [alerts] table and its channels."""

from __future__ import annotations

from dataclasses import dataclass

from newswatch.configreader import Table


@dataclass(frozen=True)
class AlertsConfig:
    per: str = "story"  # "story": one alert per story; "article": one per matching article


def parse_alerts(t: Table) -> AlertsConfig:
    """Read [alerts]; raises ConfigError naming the channel and key at fault."""
    config = AlertsConfig(per=t.str("per", "story", choices=("story", "article")))
    t.done()
    return config

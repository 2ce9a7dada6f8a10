"""Prometheus text exposition (format 0.0.4) for the node exporter's textfile collector.

Written by hand rather than with prometheus_client: the output is a few
gauges computed from the catalogue, and the engine should not need a metrics
library at run time. The tests parse it with prometheus_client's parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    samples: tuple[Sample, ...]
    type: str = "gauge"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def render(metrics: Iterable[Metric]) -> str:
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.type}")
        for sample in metric.samples:
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sorted(sample.labels.items()))
            selector = f"{{{labels}}}" if labels else ""
            lines.append(f"{metric.name}{selector} {_format_value(sample.value)}")
    return "\n".join(lines) + "\n"


def gauge(name: str, help_text: str, value: float | None = None, samples: Iterable[Sample] = ()) -> Metric:
    collected = tuple(samples) if value is None else (Sample({}, value),)
    return Metric(name, help_text, collected)

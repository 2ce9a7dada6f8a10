"""Prometheus metrics through prometheus_client: the textfile output and the long-running exporter.

The engine describes its metrics as plain :class:`Metric` values (gauges with
labelled samples); :class:`MetricsCollector` hands them to prometheus_client,
which renders the text exposition format for both outputs, so a file for the
node exporter's textfile collector and a scrape of ``metrics serve`` carry the
same bytes for the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.core import Metric as FamilyMetric
from prometheus_client.registry import Collector, CollectorRegistry


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


def gauge(name: str, help_text: str, value: float | None = None, samples: Iterable[Sample] = ()) -> Metric:
    collected = tuple(samples) if value is None else (Sample({}, value),)
    return Metric(name, help_text, collected)


def with_labels(metrics: Iterable[Metric], labels: dict[str, str]) -> list[Metric]:
    """The same metrics with ``labels`` added to every sample (e.g. ``controller``)."""
    return [
        Metric(m.name, m.help, tuple(Sample({**labels, **s.labels}, s.value) for s in m.samples), m.type)
        for m in metrics
    ]


class MetricsCollector(Collector):
    """A prometheus_client collector that asks ``source`` for the metrics at every collection."""

    def __init__(self, source: Callable[[], list[Metric]]) -> None:
        self._source = source

    def collect(self) -> Iterator[FamilyMetric]:
        for metric in self._source():
            names = sorted({name for s in metric.samples for name in s.labels})
            family = GaugeMetricFamily(metric.name, metric.help, labels=names)
            for sample in metric.samples:
                family.add_metric([sample.labels.get(n, "") for n in names], sample.value)
            yield family


def registry_for(source: Callable[[], list[Metric]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MetricsCollector(source))
    return registry


def render(metrics: Iterable[Metric]) -> str:
    """The text exposition format (0.0.4) of ``metrics``."""
    from prometheus_client.exposition import generate_latest

    fixed = list(metrics)
    return generate_latest(registry_for(lambda: fixed)).decode("utf-8")


def serve(source: Callable[[], list[Metric]], host: str, port: int) -> Any:
    """Serve ``source`` on http://host:port/metrics in a background thread; returns the server (``shutdown()``)."""
    from prometheus_client.exposition import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry_for(source))
    return server

import type { HttpMetrics } from './http-server.js';

/** The Prometheus text format's content type (what prom-client's registry answers with). */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The metrics hook for a hangar that is still booting: sessions opened and closed before the registry (and
 * its metrics) exist are counted and handed over once it has booted, and a scrape meanwhile answers once
 * the boot is done.
 */
export const bootingMetrics = (metrics: Promise<HttpMetrics | undefined>): HttpMetrics => {
  let ready: HttpMetrics | undefined;
  let opened = 0;
  void metrics.then(
    (booted) => {
      ready = booted;
      for (; opened > 0; opened--) booted?.sessionOpened?.();
      for (; opened < 0; opened++) booted?.sessionClosed?.();
    },
    () => undefined,
  );
  return {
    contentType: PROMETHEUS_TEXT,
    render: async () => (await metrics)?.render() ?? '',
    sessionOpened: () => (ready ? ready.sessionOpened?.() : void opened++),
    sessionClosed: () => (ready ? ready.sessionClosed?.() : void opened--),
  };
};

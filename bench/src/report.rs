//! [`Report`]: every figure of a run, as JSON (`bench/results/latest.json`) and as the
//! tables printed at the end.

use std::fmt::Write as _;

use serde::Serialize;

use crate::load::Latency;
use crate::scenario::demo::DemoReport;
use crate::scenario::large::LargeReport;
use crate::scenario::live::LiveReport;
use crate::scenario::memory::MemoryReport;
use crate::scenario::replicas::ReplicasReport;
use crate::scenario::scaling::ScalingReport;
use crate::scenario::soak::SoakReport;
use crate::scenario::steady::SteadyReport;
use crate::scenario::telemetry::TelemetryReport;
use crate::scenario::QueryReport;

/// The machine the run was made on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPUs available.
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// MemTotal, GiB.
    pub memory_gib: f64,
    /// 1-minute load average when the run started.
    pub load_at_start: f64,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map_or_else(|| "unknown".into(), |s| s.trim().to_string()),
            memory_gib: meminfo
                .lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0 / 1024.0),
            load_at_start: loadavg
                .split_whitespace()
                .next()
                .and_then(|l| l.parse().ok())
                .unwrap_or(0.0),
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// When the run started (UTC, from `date`).
    pub started: String,
    /// Seconds the run took.
    pub took_secs: f64,
    /// The machine.
    pub machine: Machine,
    /// Latency every simulated controller adds to each request, ms.
    pub latency_ms: u64,
    /// Whether this was the short run (`BENCH_QUICK=1`).
    pub quick: bool,
    /// Cold samples per query.
    pub cold_samples: usize,
    /// The gateway's `max_concurrent_queries` (0: no limit).
    pub max_queries: usize,
    /// The demo world against the naive client.
    pub demo: Option<DemoReport>,
    /// The large world.
    pub large: Option<LargeReport>,
    /// Cold latency with more controllers and more jobs.
    pub scaling: Option<ScalingReport>,
    /// Steady state over a live world.
    pub steady: Option<SteadyReport>,
    /// Subscribers to live build events.
    pub live: Option<LiveReport>,
    /// The soak-and-fault scenario.
    pub soak: Option<SoakReport>,
    /// What metrics and trace export cost.
    pub telemetry: Option<TelemetryReport>,
    /// The memory scenario's figures.
    pub memory: Option<MemoryReport>,
    /// Replicas sharing one Redis.
    pub replicas: Option<ReplicasReport>,
}

fn memory_table(out: &mut String, m: &MemoryReport) {
    let _ = writeln!(
        out,
        "\n== Memory and speed: the large world's warm dashboard ({} KiB answer), wrk -c{} \
         without an admission limit, then {} s idle; medians over {} round(s) ==",
        m.answer_bytes / 1024,
        m.connections,
        m.idle_secs,
        m.builds.first().map_or(0, |b| b.rounds.len())
    );
    let _ = writeln!(
        out,
        "  {:<11} {:>13} {:>11} {:>11} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "",
        "warm p50, ms",
        "sat. q/s",
        "RSS before",
        "peak",
        "VmHWM",
        "after",
        "idle",
        "idle÷before"
    );
    for b in &m.builds {
        let idle = b.median_of(|r| r.rss_idle_mib);
        let before = b.median_of(|r| r.rss_before_mib);
        let _ = writeln!(
            out,
            "  {:<11} {:>13.1} {:>11.1} {:>11.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.2}",
            b.name,
            b.median_of(|r| r.warm.p50_ms),
            b.median_of(|r| r.saturation.rps),
            before,
            b.median_of(|r| r.rss_peak_mib),
            b.median_of(|r| r.hwm_mib),
            b.median_of(|r| r.rss_after_mib),
            idle,
            idle / before.max(1e-9)
        );
    }
    if let [this, base] = &m.builds[..] {
        let _ = writeln!(
            out,
            "  this build vs baseline: warm p50 {:.2}× faster, saturation {:.2}×, peak RSS {:.2}×",
            base.median_of(|r| r.warm.p50_ms) / this.median_of(|r| r.warm.p50_ms).max(1e-9),
            this.median_of(|r| r.saturation.rps) / base.median_of(|r| r.saturation.rps).max(1e-9),
            this.median_of(|r| r.rss_peak_mib) / base.median_of(|r| r.rss_peak_mib).max(1e-9)
        );
    }
}

fn telemetry_table(out: &mut String, t: &TelemetryReport) {
    let _ = writeln!(
        out,
        "\n== Telemetry cost: the warm point query, trace export off vs on (OTLP/HTTP to a collector \
         stand-in; sampling 1.0 and 0.1; off again as the control), {} round(s), medians; each ratio is the median of \
         the rounds' ratios ==",
        t.rounds
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>26} {:>28} {:>18}",
        "",
        format!("p99 at {} req/s, ms", t.fixed_rps),
        "saturation, req/s (wrk -c32)",
        "CPU µs/request"
    );
    for v in &t.variants {
        let rounds: Vec<String> = v
            .fixed
            .iter()
            .zip(&v.saturation)
            .zip(&v.cpu_us_per_request)
            .map(|((f, w), c)| format!("{:.2} ms / {:.0} / {c:.1} µs", f.latency.p99_ms, w.rps))
            .collect();
        let _ = writeln!(
            out,
            "  {:<12} {:>26.2} {:>28.0} {:>18.1}   rounds: {}",
            v.name,
            v.p99_ms(),
            v.rps(),
            v.cpu_us(),
            rounds.join(", ")
        );
    }
    for (i, v) in t.variants.iter().enumerate().skip(1) {
        let _ = writeln!(
            out,
            "  {} ÷ export off: p99 {:.3}×, throughput {:.3}×, CPU per request {:.3}×",
            v.name,
            t.p99_ratio(i),
            t.rps_ratio(i),
            t.cpu_ratio(i)
        );
    }
    let _ = writeln!(
        out,
        "  the collector stand-in received {} exports ({:.1} MiB)",
        t.exports,
        t.export_bytes as f64 / 1048576.0
    );
}

fn lat(l: &Latency) -> String {
    format!("{:.1} / {:.1} / {:.1}", l.p50_ms, l.p95_ms, l.p99_ms)
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(String::new, f)
}

fn row(out: &mut String, label: &str, gateway: String, naive: String) {
    let _ = writeln!(out, "  {label:<38} {gateway:<40} {naive}");
}

fn query_table(out: &mut String, q: &QueryReport) {
    let c = &q.cold_upstream;
    let _ = writeln!(
        out,
        "\n {} ({} controller(s), {} job(s) in the answer, {} run(s) with stages)",
        q.name, q.controllers, q.jobs_in_answer, q.runs_with_stages
    );
    row(out, "", "gateway".into(), "naive client".into());
    row(
        out,
        "upstream requests, cold",
        format!(
            "{} (floor {}{})",
            c.total,
            q.floor,
            if q.cold_upstream_stable {
                ""
            } else {
                "; varied between samples"
            }
        ),
        opt(q.naive.as_ref(), |n| format!("{:.0}", n.upstream_per_query)),
    );
    row(
        out,
        "  of which listings/probes/describes",
        format!(
            "{} / {} / {} (+{} builds, {} other)",
            c.items, c.probes, c.describes, c.builds, c.other
        ),
        String::new(),
    );
    if let Some(w) = &q.warm {
        row(
            out,
            "upstream requests, right after cold",
            w.upstream_after_cold.to_string(),
            String::new(),
        );
        row(
            out,
            "upstream requests, 3 warm repeats",
            format!("{:?}", w.upstream_repeats),
            opt(q.naive.as_ref(), |n| {
                format!("{:.0} (no cache)", n.upstream_per_query)
            }),
        );
        row(
            out,
            "upstream per query, warm runs",
            format!(
                "{:.4} sequential{}",
                w.upstream_per_query,
                opt(w.saturation_upstream_per_query, |s| format!(
                    ", {s:.4} at saturation"
                ))
            ),
            String::new(),
        );
    }
    if let Some(r) = q.upstream_ratio() {
        row(
            out,
            "naive ÷ gateway upstream (cold)",
            format!("{r:.1}×"),
            String::new(),
        );
    }
    row(
        out,
        "latency cold p50/p95/p99 ms",
        format!("{} (n={})", lat(&q.cold), q.cold.samples),
        opt(q.naive.as_ref(), |n| {
            format!("{} (n={})", lat(&n.latency), n.latency.samples)
        }),
    );
    if let Some(w) = &q.warm {
        row(
            out,
            "latency warm p50/p95/p99 ms",
            format!("{} (n={}, one client)", lat(&w.latency), w.latency.samples),
            "= cold".into(),
        );
        row(
            out,
            "gateway RSS / peak, MiB",
            format!(
                "{:.1} / {:.1} after the sequential run{}",
                w.memory_sequential.rss_mib,
                w.memory_sequential.peak_rss_mib,
                opt(w.memory_saturation, |m| format!(
                    "; {:.1} / {:.1} after saturation",
                    m.rss_mib, m.peak_rss_mib
                ))
            ),
            "n/a (no gateway)".into(),
        );
        if let Some(s) = &w.saturation {
            row(
                out,
                "throughput at saturation",
                format!(
                    "{:.0} q/s (wrk -c{}, {} errors)",
                    s.rps, s.connections, s.errors
                ),
                opt(q.naive.as_ref().and_then(|n| n.saturation_qps), |qps| {
                    format!(
                        "{qps:.1} q/s ({} clients, {:.0} upstream req/s)",
                        q.naive
                            .as_ref()
                            .and_then(|n| n.saturation_clients)
                            .unwrap_or(0),
                        q.naive
                            .as_ref()
                            .and_then(|n| n.saturation_upstream_rps)
                            .unwrap_or(0.0)
                    )
                }),
            );
            row(
                out,
                "latency at saturation p50/p95/p99",
                lat(&s.latency),
                String::new(),
            );
        }
        if let Some(f) = &w.fixed_rate {
            row(
                out,
                &format!("warm at fixed {} req/s p50/p95/p99", f.target_rps),
                format!(
                    "{} ({:.0} req/s achieved, {} errors)",
                    lat(&f.latency),
                    f.achieved_rps,
                    f.errors
                ),
                String::new(),
            );
        }
    }
    if let Some(ch) = &q.chain {
        row(
            out,
            "round-trip chain, ms",
            format!(
                "{:.1} unbounded, {:.1} at 8 in flight",
                ch.unbounded_ms, ch.bounded_ms
            ),
            String::new(),
        );
        row(
            out,
            "  first wave / describe / describes",
            format!(
                "{:.1} / {:.1} / {} on the busiest controller",
                ch.first_wave_ms, ch.describe_ms, ch.max_describes
            ),
            String::new(),
        );
        row(
            out,
            "  first wave, all controllers at once",
            format!("{:.1}", ch.first_wave_together_ms),
            String::new(),
        );
        row(
            out,
            "  fan-out: every request, no limit",
            format!(
                "{:.1} (first wave at once, then every describe at once)",
                ch.fan_out_ms
            ),
            String::new(),
        );
        row(
            out,
            "cold p50 ÷ chain",
            format!(
                "{:.2}× unbounded, {:.2}× at 8 in flight, {:.2}× the fan-out",
                q.cold.p50_ms / ch.unbounded_ms.max(1e-9),
                q.cold.p50_ms / ch.bounded_ms.max(1e-9),
                q.cold.p50_ms / ch.fan_out_ms.max(1e-9)
            ),
            String::new(),
        );
    }
}

impl Report {
    /// The tables.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "Majordomo benchmark, started {} ({:.0} s{})\nmachine: {} CPUs, {}, {:.1} GiB; load {:.2} at start",
            self.started,
            self.took_secs,
            if self.quick { ", BENCH_QUICK" } else { "" },
            m.cpus,
            m.cpu_model,
            m.memory_gib,
            m.load_at_start
        );
        let _ = writeln!(
            out,
            "controllers: jenkins-sim in the driver process, {} ms added to every request; gateway: \
             `majordomo serve` as its own process{}. Cold = the first query of a fresh gateway \
             process ({} samples).",
            self.latency_ms,
            match self.max_queries {
                0 => String::new(),
                n => format!(" with max_concurrent_queries = {n}"),
            },
            self.cold_samples
        );
        if let Some(d) = &self.demo {
            let _ = writeln!(
                out,
                "\n== Demo world: ci-prod, ci-staging, ci-legacy ({} jobs, standing still) ==",
                d.jobs
            );
            for q in &d.queries {
                query_table(&mut out, q);
            }
        }
        if let Some(l) = &self.large {
            let _ = writeln!(
                out,
                "\n== Large world: {} controller(s), {} jobs ==",
                l.controllers, l.jobs
            );
            for q in &l.queries {
                query_table(&mut out, q);
            }
            let _ = writeln!(
                out,
                "\n gateway memory (VmRSS / VmHWM MiB) after every run above (dashboard at wrk -c{}): {:.1} / {:.1}",
                l.queries
                    .first()
                    .and_then(|q| q.warm.as_ref())
                    .and_then(|w| w.saturation)
                    .map_or(0, |s| s.connections),
                l.memory_after_load.rss_mib,
                l.memory_after_load.peak_rss_mib,
            );
            let _ = writeln!(
                out,
                " a fresh gateway: idle {:.1} / {:.1}; cache filled (all {} jobs listed, dashboard, point query) {:.1} / {:.1}; \
                 after the dashboard at wrk -c4 ({:.0} q/s, p50/p95/p99 {} ms) {:.1} / {:.1}",
                l.memory_idle.rss_mib,
                l.memory_idle.peak_rss_mib,
                l.all_jobs_total,
                l.memory_cache_filled.rss_mib,
                l.memory_cache_filled.peak_rss_mib,
                l.dashboard_c4.rps,
                lat(&l.dashboard_c4.latency),
                l.memory_after_c4.rss_mib,
                l.memory_after_c4.peak_rss_mib
            );
            let _ = writeln!(
                out,
                " cold dashboard, adaptive limit up to 128 (default ceiling 64) p50/p95/p99 ms: {} (n={}); \
                 fixed limit of 8 (as before): {} (n={})",
                lat(&l.cold_dashboard_at_128),
                l.cold_dashboard_at_128.samples,
                lat(&l.cold_dashboard_fixed_8),
                l.cold_dashboard_fixed_8.samples
            );
        }
        if let Some(s) = &self.scaling {
            let _ = writeln!(
                out,
                "\n== Cold dashboard as controllers and jobs grow ({} sample(s) per point) ==",
                s.samples
            );
            let _ = writeln!(
                out,
                "  {:>5} {:>6}  {:<24} {:>8} {:>5} {:>9} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9}",
                "ctrls",
                "jobs/c",
                "query",
                "upstream",
                "runs",
                "cold p50",
                "cold max",
                "warm p50",
                "wave alone",
                "wave all",
                "chain∞",
                "chain@8",
                "p50÷@8"
            );
            for p in &s.points {
                let _ = writeln!(
                    out,
                    "  {:>5} {:>6}  {:<24} {:>8} {:>5} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>8.1}ms {:>8.1}ms {:>7.1}ms {:>7.1}ms {:>8.2}×",
                    p.controllers,
                    p.jobs_per_controller,
                    p.query,
                    p.upstream.total,
                    p.runs_with_stages,
                    p.cold.p50_ms,
                    p.cold.max_ms,
                    p.warm.p50_ms,
                    p.chain.first_wave_ms,
                    p.chain.first_wave_together_ms,
                    p.chain.unbounded_ms,
                    p.chain.bounded_ms,
                    p.cold.p50_ms / p.chain.bounded_ms.max(1e-9)
                );
            }
            let _ = writeln!(
                out,
                "  wave alone: the slowest listing or probe timed by itself; wave all: every \
                 controller's listing and probe sent at once; chain∞: wave alone + one describe; \
                 chain@8: wave alone + ⌈describes/8⌉ describes (the gateway's 8 in flight per controller)"
            );
            if !s.skipped.is_empty() {
                let _ = writeln!(
                    out,
                    "  skipped (more than {} jobs over all controllers): {}",
                    s.max_total_jobs,
                    s.skipped
                        .iter()
                        .map(|(c, j)| format!("{c}×{j}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if let Some(s) = &self.steady {
            let _ = writeln!(
                out,
                "\n== Steady state: demo ci-prod + ci-staging, live; users refresh every {:.1} s \
                 (stands for 10 s), cache TTLs scaled alike ({} / {} ms); builds run {:.0} s ==",
                s.period_secs, s.listing_ttl_ms, s.volatile_ttl_ms, s.build_secs
            );
            let _ = writeln!(
                out,
                "  {:<8} {:>5} {:>11} {:>10} {:>10} {:>10} {:>24} {:>12} {:>22}",
                "client",
                "users",
                "build every",
                "dashboards",
                "finished/s",
                "upstream/s",
                "items/probes/describes/s",
                "per finished",
                "latency p50/p95/p99 ms"
            );
            for p in &s.phases {
                let per_s = |n: usize| n as f64 / p.secs.max(1e-9);
                let _ = writeln!(
                    out,
                    "  {:<8} {:>5} {:>9.1} s {:>10} {:>10.2} {:>10.1} {:>24} {:>12.1} {:>22}",
                    p.client,
                    p.users,
                    p.trigger_every_secs,
                    p.dashboards,
                    p.finished_builds_per_sec,
                    p.upstream_rps,
                    format!(
                        "{:.1} / {:.1} / {:.1}",
                        per_s(p.upstream.items + p.upstream.builds),
                        per_s(p.upstream.probes),
                        per_s(p.upstream.describes)
                    ),
                    p.upstream_per_finished_build,
                    lat(&p.latency)
                );
            }
        }
        if let Some(l) = &self.live {
            render_live(&mut out, l);
        }
        if let Some(m) = &self.memory {
            memory_table(&mut out, m);
        }
        if let Some(t) = &self.telemetry {
            telemetry_table(&mut out, t);
        }
        if let Some(s) = &self.soak {
            soak_table(&mut out, s);
        }
        if let Some(r) = &self.replicas {
            replicas_table(&mut out, r);
        }
        out
    }
}

fn render_live(out: &mut String, l: &LiveReport) {
    let _ = writeln!(
        out,
        "\n== Live: SSE subscribers to fleet build events, demo ci-prod + ci-staging, live; \
         poll every {} ms ==",
        l.poll_interval_ms
    );
    let _ = writeln!(
        out,
        "  {:>11} {:>6} {:>10} {:>10} {:>26} {:>9} {:>18}",
        "subscribers",
        "open",
        "upstream/s",
        "FINISHED",
        "delay p50/p95/p99/max ms",
        "CPU cores",
        "RSS / peak MiB"
    );
    for p in &l.phases {
        let _ = writeln!(
            out,
            "  {:>11} {:>6} {:>10.2} {:>10} {:>26} {:>9.2} {:>18}",
            p.subscribers,
            p.streams_open,
            p.upstream_rps,
            p.finished_events,
            format!("{} / {:.0}", lat(&p.delay), p.delay.max_ms),
            p.cpu_cores,
            format!("{:.1} / {:.1}", p.memory.rss_mib, p.memory.peak_rss_mib)
        );
    }
}

fn soak_table(out: &mut String, s: &SoakReport) {
    let _ = writeln!(
        out,
        "\n== Soak and fault: {} s at {} req/s over c0, c1 (healthy) and faulty (hang, 503, reset, 401, healthy; {} s each); one hostile document in {} ==",
        s.secs, s.rate, s.phase_secs, s.hostile_every
    );
    let pct = 100.0 * s.healthy_complete as f64 / s.dashboards.max(1) as f64;
    let _ = writeln!(
        out,
        "  dashboards {} (healthy part complete in {} = {pct:.2}%), hostile {}, no HTTP answer {}",
        s.dashboards, s.healthy_complete, s.hostile, s.transport_failures
    );
    let _ = writeln!(out, "  HTTP statuses {:?}", s.statuses);
    let _ = writeln!(out, "  error codes {:?}", s.error_codes);
    let _ = writeln!(
        out,
        "  dashboard latency p50/p95/p99 ms {}",
        lat(&s.latency)
    );
    let _ = writeln!(
        out,
        "  gateway RSS MiB {:.1} at start, {:.1} at end (peak {:.1}); open descriptors {} at start, {} at end",
        s.memory_start.rss_mib, s.memory_end.rss_mib, s.memory_end.peak_rss_mib, s.fds_start, s.fds_end
    );
}

fn replicas_table(out: &mut String, r: &ReplicasReport) {
    let _ = writeln!(
        out,
        "\n== Replicas sharing one Redis: the large world ({} jobs), the cold dashboard ==",
        r.jobs
    );
    let _ = writeln!(
        out,
        "  {:<44} {:>8} {:>9} {:>9} {:>10} {:>11}",
        "", "upstream", "items", "builds", "describes", "slowest ms"
    );
    for (label, s) in [
        ("one gateway, Redis empty", &r.one),
        ("three gateways at once, Redis empty", &r.three),
        ("three gateways at once, no Redis", &r.three_without_redis),
        ("a restarted gateway (listings expired)", &r.restart),
    ] {
        let _ = writeln!(
            out,
            "  {:<44} {:>8} {:>9} {:>9} {:>10} {:>11.0}",
            label,
            s.upstream.total,
            s.upstream.items,
            s.upstream.builds,
            s.upstream.describes,
            s.slowest_ms
        );
    }
    let _ = writeln!(
        out,
        "  three at once cost {:.2}× one with Redis ({:.2}× without); Redis held {} keys in {:.1} MiB",
        r.three.upstream.total as f64 / r.one.upstream.total.max(1) as f64,
        r.three_without_redis.upstream.total as f64 / r.one.upstream.total.max(1) as f64,
        r.redis_keys,
        r.redis_mib
    );
}

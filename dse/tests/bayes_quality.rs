//! Quality bar for the `bayes` searcher (scratch version while tuning).

use std::time::Instant;

use accel_dse::pareto::normalized_hypervolume;
use accel_dse::search;
use accel_dse::{Evaluation, Problem, TestFunction, TestProblem};

fn ideal_nadir(f: TestFunction) -> (Vec<f64>, Vec<f64>) {
    match f {
        TestFunction::Zdt3 => (vec![0.0, -0.7733], vec![0.8518, 1.0]),
        TestFunction::Dtlz2 => (vec![0.0; 3], vec![1.0; 3]),
        _ => (vec![0.0; 2], vec![1.0; 2]),
    }
}

fn run(name: &str, f: TestFunction, seed: u64, budget: usize, batch: usize) -> (f64, f64) {
    let problem = TestProblem::new(f);
    let (ideal, nadir) = ideal_nadir(f);
    let start = Instant::now();
    let mut searcher =
        search::build(name, seed, problem.objectives().len(), budget).expect("known searcher");
    let mut scores = Vec::new();
    let mut spent = 0;
    while spent < budget {
        let points = searcher.ask(problem.space(), batch.min(budget - spent));
        if points.is_empty() {
            break;
        }
        spent += points.len();
        let evals: Vec<Evaluation> = points
            .iter()
            .map(|p| problem.evaluate(p).expect("test problems do not fail"))
            .collect();
        scores.extend(evals.iter().map(|e| e.scores.clone()));
        if std::env::var("TRACE").is_ok() {
            for e in &evals {
                let x: Vec<f64> = e.point.values.iter().map(|v| v.as_f64().unwrap()).collect();
                let g = if f == TestFunction::Dtlz2 { x[2..].iter().map(|v| (v - 0.5).powi(2)).sum::<f64>() } else { 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64 };
                eprintln!("{spent}: x0 {:.3} g {g:.3} f {:.3?} {:.2?}", x[0], e.scores, &x[1..]);
            }
        }
        searcher.tell(&evals);
    }
    (
        normalized_hypervolume(&scores, &ideal, &nadir, 1.1),
        start.elapsed().as_secs_f64(),
    )
}

#[test]
#[ignore = "tuning"]
fn explore() {
    let probs: Vec<TestFunction> = std::env::var("PROBS")
        .unwrap_or("zdt1".into())
        .split(',')
        .map(|s| match s {
            "zdt1" => TestFunction::Zdt1,
            "zdt2" => TestFunction::Zdt2,
            "zdt3" => TestFunction::Zdt3,
            _ => TestFunction::Dtlz2,
        })
        .collect();
    let budget: usize = std::env::var("BUDGET").map_or(100, |s| s.parse().unwrap());
    let batch: usize = std::env::var("BATCH").map_or(1, |s| s.parse().unwrap());
    let seeds: u64 = std::env::var("SEEDS").map_or(3, |s| s.parse().unwrap());
    for f in probs {
        let mut hvs = Vec::new();
        for seed in 0..seeds {
            let name = std::env::var("NAME").unwrap_or("bayes".into());
            let (hv, t) = run(&name, f, seed, budget, batch);
            eprintln!("{f:?} seed {seed}: hv {hv:.4} in {t:.1}s");
            hvs.push(hv);
        }
        hvs.sort_by(f64::total_cmp);
        eprintln!("{f:?} budget {budget}: median {:.4}", hvs[hvs.len() / 2]);
    }
}

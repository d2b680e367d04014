//! Multi-agent reinforcement learning (MARL) search: one policy-gradient agent per design
//! parameter, all sharing one cooperative reward.
//!
//! After Krishnan et al., "Multi-Agent Reinforcement Learning for Microprocessor Design Space
//! Exploration" (arXiv 2211.16385, 2022): the parameters of a design are treated as largely
//! independent, so each gets its own decentralised agent, and the agents cooperate through a
//! reward shared by all. The paper trains one PPO learner per parameter of a DRAM memory
//! controller against a target-distance reward; this searcher keeps the decomposition and the
//! shared reward but uses the simpler independent REINFORCE learner (Williams 1992), which
//! suits a one-step "episode" per design (choose every parameter once, evaluate, learn):
//!
//! ```text
//! ask(n):  for each point, agent i draws a_i ~ softmax(theta_i)  ─decode─▶ DesignPoint
//! tell:    evaluation ─reward r (shared)─▶ A = clip((r - b) / sd)   b, sd: moving averages
//!          theta_i += lr * (A * grad log pi_i(a_i) + entropy_weight * grad H(pi_i))
//! ```
//!
//! - **Agents.** Ordinal and categorical genes get a softmax policy over their levels or
//!   categories. Real genes are discretised into [`MarlConfig::real_bins`] equal bins with a
//!   softmax policy over bins; the value is drawn uniformly inside the chosen bin, so every
//!   real in `[0, 1]` stays reachable.
//! - **Reward** (shared by all agents), with objectives normalised by the running minimum and
//!   maximum of each score over the feasible designs seen so far, reference point
//!   [`MarlConfig::reference`] (1.1) in every normalised objective:
//!   - 1 to 3 objectives: the hypervolume improvement of the design over the archive's front,
//!     taken to the power `1/m` so it is a length like the penalty below; a design the front
//!     weakly dominates instead gets minus its diagonal distance to the front,
//!     `max over front f of min_j (p_j - f_j)` (how far it must move along `(1, .., 1)` to
//!     stop being dominated), so that dominated designs are still ranked.
//!   - 4 or more objectives: the improvement of the weighted Chebyshev value
//!     `max_j w_j p_j` over the archive's best, with weights `w` drawn uniformly from the
//!     simplex once per ask (one "episode").
//!   - infeasible designs: `-(1 + min(violation, violation_cap))`, below every feasible
//!     reward; failed designs (infinite violation) get the cap.
//! - **Repeats.** A drawn point already evaluated or asked is redrawn up to
//!   [`MarlConfig::resample_tries`] times; a finite space whose every point has been asked is
//!   exhausted (`ask` returns nothing).
//!
//! Deterministic: the same seed and the same tells give the same asks. Results told before the
//! first ask (a resumed sweep) are kept and learned from once `ask` supplies the space.

use std::collections::{HashMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::pareto::hypervolume;
use crate::problem::Evaluation;
use crate::search::Searcher;
use crate::space::{DesignPoint, DesignSpace, Gene};

/// Hyperparameters of [`Marl`]; `Default` gives the values documented on each field.
#[derive(Debug, Clone, PartialEq)]
pub struct MarlConfig {
    /// Step size on the policy logits per evaluation (default 0.3). The advantage is
    /// normalised to unit scale, so this is roughly the logit change of one good sample.
    pub learning_rate: f64,
    /// Weight of the policy-entropy bonus (default 0.02): keeps each agent exploring and
    /// stops a policy from collapsing on one level before the archive's front settles.
    pub entropy_weight: f64,
    /// Decay of the shared reward baseline and of the reward scale, both exponential moving
    /// averages: `b <- decay * b + (1 - decay) * r` (default 0.95, about 20 evaluations).
    pub baseline_decay: f64,
    /// Bins per real gene (default 16).
    pub real_bins: usize,
    /// Largest constraint violation the infeasible penalty counts (default 1.0).
    pub violation_cap: f64,
    /// Redraws of a point already evaluated or asked before asking it again (default 8).
    pub resample_tries: usize,
    /// Hypervolume reference point in every normalised objective (default 1.1; the running
    /// minimum maps to 0 and the running maximum to 1).
    pub reference: f64,
    /// Bound on the normalised advantage `|A|` (default 3.0), against rare huge rewards.
    pub advantage_clip: f64,
}

impl Default for MarlConfig {
    fn default() -> Self {
        MarlConfig {
            learning_rate: 0.3,
            entropy_weight: 0.02,
            baseline_decay: 0.95,
            real_bins: 16,
            violation_cap: 1.0,
            resample_tries: 8,
            reference: 1.1,
            advantage_clip: 3.0,
        }
    }
}

/// One agent: a softmax policy over the actions of one gene.
#[derive(Debug, Clone)]
struct Agent {
    gene: Gene,
    logits: Vec<f64>,
}

impl Agent {
    fn new(gene: Gene, real_bins: usize) -> Self {
        let n = match gene {
            Gene::Ordinal(n) | Gene::Categorical(n) => n.max(1),
            Gene::Real => real_bins.max(1),
        };
        Agent {
            gene,
            logits: vec![0.0; n],
        }
    }

    fn probabilities(&self) -> Vec<f64> {
        softmax(&self.logits)
    }

    /// Draws an action (level, category or bin).
    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let p = self.probabilities();
        let u: f64 = rng.gen();
        let mut acc = 0.0;
        for (k, pk) in p.iter().enumerate() {
            acc += pk;
            if u < acc {
                return k;
            }
        }
        p.len() - 1
    }

    /// The gene value of an action: the index for discrete genes, a uniform draw inside the
    /// bin for real genes.
    fn gene_value(&self, action: usize, rng: &mut ChaCha8Rng) -> f64 {
        match self.gene {
            Gene::Ordinal(_) | Gene::Categorical(_) => action as f64,
            Gene::Real => (action as f64 + rng.gen::<f64>()) / self.logits.len() as f64,
        }
    }

    /// The action that produces gene value `g` (inverse of [`Agent::gene_value`]).
    fn action_of(&self, g: f64) -> usize {
        let n = self.logits.len();
        let k = match self.gene {
            Gene::Ordinal(_) | Gene::Categorical(_) => g.round().max(0.0) as usize,
            Gene::Real => (g.clamp(0.0, 1.0) * n as f64) as usize,
        };
        k.min(n - 1)
    }

    /// One REINFORCE step with an entropy bonus: for a softmax policy,
    /// `d log pi(a) / d theta_k = [k = a] - pi_k` and `dH / d theta_k = -pi_k (ln pi_k + H)`.
    fn update(&mut self, action: usize, advantage: f64, config: &MarlConfig) {
        let p = self.probabilities();
        let entropy: f64 = -p
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|x| x * x.ln())
            .sum::<f64>();
        for (k, (theta, pk)) in self.logits.iter_mut().zip(&p).enumerate() {
            let score = if k == action { 1.0 } else { 0.0 } - pk;
            let d_entropy = if *pk > 0.0 {
                -pk * (pk.ln() + entropy)
            } else {
                0.0
            };
            *theta +=
                config.learning_rate * (advantage * score + config.entropy_weight * d_entropy);
        }
        // Softmax ignores a common offset; centring keeps the logits bounded.
        let mean = self.logits.iter().sum::<f64>() / self.logits.len() as f64;
        self.logits.iter_mut().for_each(|t| *t -= mean);
    }
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|t| (t - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|x| x / sum).collect()
}

/// The feasible designs seen so far: the nondominated scores, and the running bounds that
/// normalise the reward.
#[derive(Debug, Clone, Default)]
struct Archive {
    /// Nondominated score vectors (raw, minimised).
    front: Vec<Vec<f64>>,
    /// Running minimum per objective.
    lo: Vec<f64>,
    /// Running maximum per objective.
    hi: Vec<f64>,
}

impl Archive {
    fn observe(&mut self, scores: &[f64]) {
        if self.lo.len() != scores.len() {
            self.lo = scores.to_vec();
            self.hi = scores.to_vec();
        }
        for (j, s) in scores.iter().enumerate() {
            self.lo[j] = self.lo[j].min(*s);
            self.hi[j] = self.hi[j].max(*s);
        }
    }

    /// Scores mapped so that the running minimum is 0 and the maximum 1 (0 where flat).
    fn normalise(&self, scores: &[f64]) -> Vec<f64> {
        scores
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let range = self.hi[j] - self.lo[j];
                if range > 1e-12 {
                    (s - self.lo[j]) / range
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Adds a design to the front unless the front weakly dominates it.
    fn insert(&mut self, scores: &[f64]) {
        if self.front.iter().any(|f| weakly_dominates(f, scores)) {
            return;
        }
        self.front.retain(|f| !weakly_dominates(scores, f));
        self.front.push(scores.to_vec());
    }
}

/// `a <= b` in every objective (minimising).
fn weakly_dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// Independent REINFORCE agents, one per gene, with a shared cooperative reward (see the
/// module documentation).
#[derive(Debug)]
pub struct Marl {
    config: MarlConfig,
    rng: ChaCha8Rng,
    n_objectives: usize,
    space: Option<DesignSpace>,
    agents: Vec<Agent>,
    archive: Archive,
    /// Shared baseline: moving average of the reward.
    baseline: f64,
    /// Moving average of the squared deviation from the baseline (reward scale).
    reward_var: f64,
    rewards_seen: usize,
    /// Chebyshev weights of the current episode (4 or more objectives).
    weights: Vec<f64>,
    /// Actions behind each asked, not yet told point, by cache key.
    pending: HashMap<String, Vec<usize>>,
    /// Cache keys of every point asked or told.
    seen: HashSet<String>,
    /// Results told before the first ask (resume), learned from once the space is known.
    backlog: Vec<Evaluation>,
}

impl Marl {
    /// A searcher with the default hyperparameters.
    pub fn new(seed: u64, n_objectives: usize) -> Self {
        Self::with_config(seed, n_objectives, MarlConfig::default())
    }

    /// A searcher with the given hyperparameters.
    pub fn with_config(seed: u64, n_objectives: usize, config: MarlConfig) -> Self {
        Marl {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            n_objectives: n_objectives.max(1),
            space: None,
            agents: Vec::new(),
            archive: Archive::default(),
            baseline: 0.0,
            reward_var: 0.0,
            rewards_seen: 0,
            weights: Vec::new(),
            pending: HashMap::new(),
            seen: HashSet::new(),
            backlog: Vec::new(),
        }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &MarlConfig {
        &self.config
    }

    /// Each agent's current action probabilities, one vector per dimension (levels,
    /// categories, or bins of a real gene); empty before the first ask.
    pub fn policies(&self) -> Vec<Vec<f64>> {
        self.agents.iter().map(Agent::probabilities).collect()
    }

    /// Sets up the agents for `space` (once, or again if the space changes) and learns from
    /// any results told before.
    fn prepare(&mut self, space: &DesignSpace) {
        if self.space.as_ref() == Some(space) {
            return;
        }
        let fresh = self.space.is_none();
        self.agents = space
            .genes()
            .into_iter()
            .map(|g| Agent::new(g, self.config.real_bins))
            .collect();
        self.space = Some(space.clone());
        if !fresh {
            // A different space: earlier results and asks no longer apply.
            self.archive = Archive::default();
            self.pending.clear();
            self.seen.clear();
        }
        for e in std::mem::take(&mut self.backlog) {
            self.learn(&e);
        }
    }

    /// Draws Chebyshev weights uniformly from the simplex (normalised exponentials).
    fn draw_weights(&mut self) {
        let w: Vec<f64> = (0..self.n_objectives)
            .map(|_| -(1.0 - self.rng.gen::<f64>()).ln() + 1e-12)
            .collect();
        let sum: f64 = w.iter().sum();
        self.weights = w.into_iter().map(|x| x / sum).collect();
    }

    /// The shared reward of one evaluation; updates the archive.
    fn reward(&mut self, e: &Evaluation) -> f64 {
        if !e.feasible || e.scores.iter().any(|s| !s.is_finite()) {
            let v = e.violation();
            // No measured violation yet infeasible means failed or non-finite: the full cap.
            let v = if v > 0.0 { v } else { f64::INFINITY };
            return -(1.0 + v.min(self.config.violation_cap));
        }
        self.archive.observe(&e.scores);
        let p = self.archive.normalise(&e.scores);
        let front: Vec<Vec<f64>> = self
            .archive
            .front
            .iter()
            .map(|f| self.archive.normalise(f))
            .collect();
        let m = p.len();
        let r = if m <= 3 {
            if front.iter().any(|f| weakly_dominates(f, &p)) {
                // Diagonal distance to the attainment surface (0 for a repeat of a front
                // point).
                -front
                    .iter()
                    .map(|f| {
                        p.iter()
                            .zip(f)
                            .map(|(a, b)| a - b)
                            .fold(f64::INFINITY, f64::min)
                    })
                    .fold(0.0, f64::max)
            } else {
                // HVI(p) = vol([p, ref]) - HV(front clipped to p's box, ref).
                let reference = vec![self.config.reference; m];
                let own: f64 = p.iter().map(|x| self.config.reference - x).product();
                let clipped: Vec<Vec<f64>> = front
                    .iter()
                    .map(|f| f.iter().zip(&p).map(|(a, b)| a.max(*b)).collect())
                    .collect();
                let hvi = (own - hypervolume(&clipped, &reference)).max(0.0);
                hvi.powf(1.0 / m as f64)
            }
        } else {
            if self.weights.len() != m {
                self.draw_weights();
            }
            let cheb = |x: &[f64]| {
                x.iter()
                    .zip(&self.weights)
                    .map(|(a, w)| a * w)
                    .fold(f64::NEG_INFINITY, f64::max)
            };
            let best = front
                .iter()
                .map(|f| cheb(f))
                .fold(self.config.reference, f64::min);
            best - cheb(&p)
        };
        self.archive.insert(&e.scores);
        r
    }

    /// Learns from one evaluation: reward, shared baseline, one step per agent.
    fn learn(&mut self, e: &Evaluation) {
        let key = e.point.cache_key();
        let actions = self.pending.remove(&key).or_else(|| {
            let space = self.space.as_ref()?;
            let genes = space.encode(&e.point)?;
            Some(
                self.agents
                    .iter()
                    .zip(&genes)
                    .map(|(a, g)| a.action_of(*g))
                    .collect(),
            )
        });
        self.seen.insert(key);
        let r = self.reward(e);
        let decay = self.config.baseline_decay;
        let advantage = if self.rewards_seen == 0 {
            self.baseline = r;
            0.0
        } else {
            let sd = self.reward_var.sqrt();
            let a = if sd > 1e-12 {
                (r - self.baseline) / sd
            } else {
                0.0
            };
            self.reward_var = decay * self.reward_var + (1.0 - decay) * (r - self.baseline).powi(2);
            self.baseline = decay * self.baseline + (1.0 - decay) * r;
            a.clamp(-self.config.advantage_clip, self.config.advantage_clip)
        };
        self.rewards_seen += 1;
        if let Some(actions) = actions {
            if actions.len() == self.agents.len() {
                for (agent, a) in self.agents.iter_mut().zip(actions) {
                    agent.update(a, advantage, &self.config);
                }
            }
        }
    }
}

impl Searcher for Marl {
    fn name(&self) -> &'static str {
        "marl"
    }

    fn ask(&mut self, space: &DesignSpace, n: usize) -> Vec<DesignPoint> {
        self.prepare(space);
        if self.n_objectives > 3 {
            self.draw_weights();
        }
        let size = space.size();
        let mut points = Vec::with_capacity(n);
        for _ in 0..n {
            if size.is_some_and(|s| self.seen.len() as u128 >= s) {
                break;
            }
            let mut tries = 0;
            let (point, key, actions) = loop {
                let actions: Vec<usize> = self
                    .agents
                    .iter()
                    .map(|a| a.sample(&mut self.rng))
                    .collect();
                let genes: Vec<f64> = self
                    .agents
                    .iter()
                    .zip(&actions)
                    .map(|(a, k)| a.gene_value(*k, &mut self.rng))
                    .collect();
                let point = space.decode(&genes);
                let key = point.cache_key();
                if !self.seen.contains(&key) || tries >= self.config.resample_tries {
                    break (point, key, actions);
                }
                tries += 1;
            };
            self.seen.insert(key.clone());
            self.pending.insert(key, actions);
            points.push(point);
        }
        points
    }

    fn tell(&mut self, evaluated: &[Evaluation]) {
        if self.space.is_none() {
            self.backlog.extend_from_slice(evaluated);
            return;
        }
        for e in evaluated {
            self.learn(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{evaluation, Objective};
    use crate::space::{Dimension, Param, Value};
    use std::collections::BTreeMap;

    fn mixed_space() -> DesignSpace {
        DesignSpace {
            dims: vec![
                Dimension {
                    name: "rows".into(),
                    param: Param::Pow2 { lo: 4, hi: 128 },
                },
                Dimension {
                    name: "dataflow".into(),
                    param: Param::Choice {
                        values: vec![
                            Value::Str("os".into()),
                            Value::Str("ws".into()),
                            Value::Str("is".into()),
                        ],
                    },
                },
                Dimension {
                    name: "x".into(),
                    param: Param::Real {
                        lo: 0.0,
                        hi: 1.0,
                        log: false,
                    },
                },
            ],
        }
    }

    fn eval(point: DesignPoint, scores: Vec<f64>, constraints: Vec<f64>) -> Evaluation {
        let objectives: Vec<Objective> = (0..scores.len())
            .map(|i| Objective::min(&format!("f{i}")))
            .collect();
        evaluation(point, &objectives, scores, constraints, BTreeMap::new())
    }

    #[test]
    fn trivial_reward_concentrates_policy_on_best_level() {
        // Reward 1 for level 2 of an 8-level gene, 0 otherwise: the expected gradient pushes
        // all probability to level 2; 400 updates at lr 0.3 take it past 0.9.
        let gene = Gene::Ordinal(8);
        let config = MarlConfig::default();
        let mut agent = Agent::new(gene, config.real_bins);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut baseline = 0.0;
        for _ in 0..400 {
            let a = agent.sample(&mut rng);
            let r = if a == 2 { 1.0 } else { 0.0 };
            agent.update(a, r - baseline, &config);
            baseline = 0.9 * baseline + 0.1 * r;
        }
        let p = agent.probabilities();
        assert!(p[2] > 0.9, "{p:?}");
    }

    #[test]
    fn single_objective_asks_concentrate_on_the_optimum() {
        // Minimise |log2(rows) - log2(32)| + [dataflow != ws] + |x - 0.8|: the optimum is
        // level 3 of rows, category 1 of dataflow, and bin 12 of 16 for x (0.8 * 16 = 12.8).
        let space = mixed_space();
        let mut marl = Marl::new(5, 1);
        for _ in 0..100 {
            let pts = marl.ask(&space, 4);
            let evals: Vec<Evaluation> = pts
                .into_iter()
                .map(|p| {
                    let g = space.encode(&p).unwrap();
                    let f = (g[0] - 3.0).abs() + f64::from(g[1] != 1.0) + (g[2] - 0.8).abs();
                    eval(p, vec![f], vec![])
                })
                .collect();
            marl.tell(&evals);
        }
        let pol = marl.policies();
        assert!(pol[0][3] > 0.5, "rows {:?}", pol[0]);
        assert!(pol[1][1] > 0.5, "dataflow {:?}", pol[1]);
        let near: f64 = pol[2][11..=13].iter().sum();
        assert!(near > 0.5, "x {:?}", pol[2]);
    }

    #[test]
    fn same_seed_and_tells_give_same_asks() {
        let space = mixed_space();
        let run = || {
            let mut marl = Marl::new(9, 2);
            let mut asked = Vec::new();
            for _ in 0..10 {
                let pts = marl.ask(&space, 3);
                let evals: Vec<Evaluation> = pts
                    .iter()
                    .map(|p| {
                        let g = space.encode(p).unwrap();
                        eval(p.clone(), vec![g[0], g[2] + g[1]], vec![])
                    })
                    .collect();
                marl.tell(&evals);
                asked.extend(pts);
            }
            asked
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn finite_space_is_asked_without_repeats_until_exhausted() {
        // 4 levels x 3 categories = 12 points: 12 distinct asks, then none.
        let space = DesignSpace {
            dims: vec![mixed_space().dims[1].clone(), {
                Dimension {
                    name: "k".into(),
                    param: Param::Int {
                        lo: 1,
                        hi: 4,
                        step: 1,
                    },
                }
            }],
        };
        let mut marl = Marl::with_config(
            2,
            1,
            MarlConfig {
                resample_tries: 1000,
                ..MarlConfig::default()
            },
        );
        let pts = marl.ask(&space, 20);
        let keys: HashSet<String> = pts.iter().map(DesignPoint::cache_key).collect();
        assert_eq!((pts.len(), keys.len()), (12, 12));
        assert!(marl.ask(&space, 1).is_empty());
    }

    #[test]
    fn infeasible_reward_is_below_every_feasible_reward() {
        // Feasible rewards are at least -1 (diagonal distance within the unit box); an
        // infeasible design with violation 0.5 gets -(1 + 0.5), a failed one -(1 + cap).
        let mut marl = Marl::new(0, 2);
        marl.prepare(&mixed_space());
        let p = mixed_space().decode(&[0.0, 0.0, 0.5]);
        let good = marl.reward(&eval(p.clone(), vec![0.0, 0.0], vec![]));
        let worst = marl.reward(&eval(p.clone(), vec![1.0, 1.0], vec![]));
        let bad = marl.reward(&eval(p.clone(), vec![0.0, 0.0], vec![0.5]));
        let mut failed = eval(p, vec![0.0, 0.0], vec![]);
        failed.error = Some("simulator crashed".into());
        failed.feasible = false;
        let failed = marl.reward(&failed);
        assert!(
            good > 0.0 && (-1.0..=0.0).contains(&worst),
            "{good} {worst}"
        );
        assert!((bad + 1.5).abs() < 1e-12, "{bad}");
        assert!((failed + 2.0).abs() < 1e-12, "{failed}");
    }

    #[test]
    fn reward_is_hypervolume_improvement_or_distance_to_front() {
        // Told (0, 1) then (1, 0): the running bounds are [0, 1] per objective, so normalised
        // scores equal raw ones. (0.5, 0.5) adds the box [0.5, 1] x [0.5, 1] to the front's
        // hypervolume (reference 1.1): HVI = 0.25, reward sqrt(0.25) = 0.5. Then (0.75, 0.75)
        // is dominated by (0.5, 0.5) and must move 0.25 along the diagonal: reward -0.25.
        let mut marl = Marl::new(0, 2);
        let p = mixed_space().decode(&[0.0, 0.0, 0.5]);
        for s in [[0.0, 1.0], [1.0, 0.0]] {
            marl.reward(&eval(p.clone(), s.to_vec(), vec![]));
        }
        let r = marl.reward(&eval(p.clone(), vec![0.5, 0.5], vec![]));
        assert!((r - 0.5).abs() < 1e-12, "{r}");
        let r = marl.reward(&eval(p.clone(), vec![0.75, 0.75], vec![]));
        assert!((r + 0.25).abs() < 1e-12, "{r}");
        // A repeat of a front point neither improves nor is strictly behind: reward 0.
        let r = marl.reward(&eval(p, vec![0.5, 0.5], vec![]));
        assert!(r.abs() < 1e-12, "{r}");
    }

    #[test]
    fn results_told_before_the_first_ask_are_learned() {
        // A resumed sweep re-tells results before asking: they count as seen, so the only
        // point of a one-point space is not asked again.
        let space = DesignSpace {
            dims: vec![Dimension {
                name: "k".into(),
                param: Param::Int {
                    lo: 1,
                    hi: 1,
                    step: 1,
                },
            }],
        };
        let mut marl = Marl::new(0, 1);
        marl.tell(&[eval(space.decode(&[0.0]), vec![1.0], vec![])]);
        assert!(marl.ask(&space, 1).is_empty());
    }
}

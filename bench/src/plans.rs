//! The sizes of a run: the full benchmark (about ten minutes on two cores), a quick one, and
//! the smoke test's.

use std::time::Duration;

use crate::scenario::chat::ChatPlan;
use crate::scenario::idle::IdlePlan;
use crate::script::Pace;

/// What one run measures.
#[derive(Debug, Clone)]
pub struct Plans {
    pub idle: IdlePlan,
    pub chat: ChatPlan,
    pub restart: ChatPlan,
}

/// Conversations routing gives an agent at most (the relay's maximum).
const AGENT_CAPACITY: u32 = 50;

impl Plans {
    /// 10,000 idle shoppers and on up to the descriptor limit (20,000 per process: the generator
    /// holds one end of every connection; the relay keeps a tenth of its own for agents and
    /// health checks, so it takes 17,769 shoppers), 1,000 conversations for a minute, 2,000
    /// clients through a crash.
    pub fn full() -> Plans {
        Plans {
            idle: IdlePlan {
                steps: vec![1_000, 2_500, 5_000, 7_500, 10_000, 12_500, 15_000, 17_500],
                must_reach: 10_000,
                latency_limit: Duration::from_millis(50),
                broadcasts_per_step: 4,
                connect_concurrency: 64,
            },
            chat: ChatPlan {
                shoppers: 1_000,
                agents: 25,
                capacity: AGENT_CAPACITY,
                pace: Pace::STEADY,
                warm_up: Duration::from_secs(5),
                window: Duration::from_secs(60),
                restart_after: None,
                after_restart: Duration::ZERO,
                connect_concurrency: 64,
            },
            restart: ChatPlan {
                shoppers: 2_000,
                agents: 40,
                capacity: AGENT_CAPACITY,
                // Conversations start over 30 s; the relay dies 10 s after the last has begun.
                pace: Pace { ramp: Duration::from_secs(30), ..Pace::STEADY },
                warm_up: Duration::ZERO,
                window: Duration::ZERO,
                restart_after: Some(Duration::from_secs(40)),
                after_restart: Duration::from_secs(10),
                connect_concurrency: 64,
            },
        }
    }

    /// The same scenarios, smaller and shorter (a couple of minutes).
    pub fn quick() -> Plans {
        let full = Plans::full();
        Plans {
            idle: IdlePlan { steps: vec![500, 1_000, 2_000], must_reach: 2_000, broadcasts_per_step: 2, ..full.idle },
            chat: ChatPlan {
                shoppers: 200,
                agents: 5,
                pace: Pace { ramp: Duration::from_secs(5), ..Pace::STEADY },
                warm_up: Duration::from_secs(3),
                window: Duration::from_secs(15),
                ..full.chat
            },
            restart: ChatPlan {
                shoppers: 300,
                agents: 7,
                pace: Pace { ramp: Duration::from_secs(8), ..Pace::STEADY },
                restart_after: Some(Duration::from_secs(12)),
                after_restart: Duration::from_secs(4),
                ..full.restart
            },
        }
    }

    /// About twenty connections for a few seconds, with a crash in the middle.
    pub fn smoke() -> ChatPlan {
        ChatPlan {
            shoppers: 16,
            agents: 2,
            capacity: 10,
            pace: Pace::SMOKE,
            warm_up: Duration::ZERO,
            window: Duration::ZERO,
            restart_after: Some(Duration::from_secs(2)),
            after_restart: Duration::from_secs(1),
            connect_concurrency: 16,
        }
    }
}

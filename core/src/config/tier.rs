//! Xero's app tiers since 2 March 2026 (FACTS.md §6–7), and the limits a profile works to: the
//! tier sets the app's connection cap, each organisation's daily call limit and the monthly
//! egress allowance; `connection_limit`, `daily_limit` and `egress_allowance_gb` set alone win
//! over it. With no tier set, Tenantry keeps to what Xero documents for every app (5,000 calls a
//! day, no cap it knows of) and `doctor` says to set one: Xero puts new apps on Starter.

use serde::{Deserialize, Serialize};

use super::Config;

/// The app's tier at Xero (its developer portal shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Starter,
    Core,
    Plus,
    Advanced,
    Enterprise,
}

/// Xero's daily call limit per organisation for every tier but Starter.
pub const DAILY_LIMIT: u32 = 5000;

impl Tier {
    pub const ALL: [Self; 5] = [
        Self::Starter,
        Self::Core,
        Self::Plus,
        Self::Advanced,
        Self::Enterprise,
    ];
    pub const NAMES: [&'static str; 5] = ["starter", "core", "plus", "advanced", "enterprise"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The most organisations the app may have connected (Xero's pricing FAQ, Q03); Enterprise
    /// has none.
    pub fn connection_cap(self) -> Option<u32> {
        match self {
            Self::Starter => Some(5),
            Self::Core => Some(50),
            Self::Plus => Some(1000),
            Self::Advanced => Some(10_000),
            Self::Enterprise => None,
        }
    }

    /// Calls a day per organisation: 1,000 on Starter, 5,000 on the others (reported by third
    /// parties; Xero's own row is unconfirmed, FACTS.md §6).
    pub fn daily_limit(self) -> u32 {
        match self {
            Self::Starter => 1000,
            _ => DAILY_LIMIT,
        }
    }

    /// Gigabytes a month the app may download before overage is billed: Starter unlimited,
    /// Core 10, Plus 50, Advanced 250 (third-party reports, FACTS.md §7); Enterprise's is
    /// agreed with Xero, so none is assumed.
    pub fn egress_allowance_gb(self) -> Option<u32> {
        match self {
            Self::Core => Some(10),
            Self::Plus => Some(50),
            Self::Advanced => Some(250),
            Self::Starter | Self::Enterprise => None,
        }
    }
}

impl Config {
    /// The app's connection cap: `connection_limit`, else the tier's, else none known.
    pub fn connection_cap(&self) -> Option<u32> {
        self.connection_limit
            .or_else(|| self.tier.and_then(Tier::connection_cap))
    }

    /// Calls a day per organisation the gateway budgets: `daily_limit`, else the tier's, else
    /// Xero's 5,000.
    pub fn daily_call_limit(&self) -> u32 {
        self.daily_limit
            .or_else(|| self.tier.map(Tier::daily_limit))
            .unwrap_or(DAILY_LIMIT)
    }

    /// Gigabytes a month before overage: `egress_allowance_gb`, else the tier's; `None` when
    /// unlimited or not known.
    pub fn egress_allowance(&self) -> Option<u32> {
        self.egress_allowance_gb
            .or_else(|| self.tier.and_then(Tier::egress_allowance_gb))
    }
}

/// How the connections in use fit the app's tier, for `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierFit {
    /// They fit (or the tier has no cap); the line says the tier's figures.
    Fits(String),
    /// No tier is set: Tenantry keeps to what Xero documents for every app.
    NoTier,
    /// More organisations are connected than the tier's cap.
    OverCap { used: usize, cap: u32, tier: Tier },
}

impl TierFit {
    /// What to do about it, if anything.
    pub fn fix(&self) -> Option<&'static str> {
        match self {
            Self::Fits(_) => None,
            Self::NoTier => Some(
                "set the app's tier as Xero's developer portal shows it: tenantry config set tier starter|core|plus|advanced|enterprise",
            ),
            Self::OverCap { .. } => Some(
                "move the app to a higher tier at Xero and set it here (tenantry config set tier …), or disconnect organisations (tenantry disconnect ORG)",
            ),
        }
    }
}

impl std::fmt::Display for TierFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fits(line) => f.write_str(line),
            Self::NoTier => f.write_str(
                "no tier set: Xero puts new apps on Starter (5 connections, 1,000 calls a day per organisation); the gateway keeps to 5,000 a day",
            ),
            Self::OverCap { used, cap, tier } => write!(
                f,
                "{used} organisations connected, more than the {cap} the app's {} tier allows: Xero refuses new connections past the cap",
                tier.name()
            ),
        }
    }
}

/// How `used` organisations connected now fit the profile's tier.
pub fn tier_fit(config: &Config, used: usize) -> TierFit {
    let Some(tier) = config.tier else {
        return TierFit::NoTier;
    };
    let exempt = if config.exempt {
        ", exempt from Xero's fees"
    } else {
        ""
    };
    let day = config.daily_call_limit();
    match config.connection_cap() {
        Some(cap) if used > cap as usize => TierFit::OverCap { used, cap, tier },
        Some(cap) => TierFit::Fits(format!(
            "tier {}{exempt}: {used} of {cap} connections, {day} calls a day per organisation",
            tier.name()
        )),
        None => TierFit::Fits(format!(
            "tier {}{exempt}: {used} connections (no cap), {day} calls a day per organisation",
            tier.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tier_has_xero_s_figures_and_a_key_set_alone_wins() {
        let figures: Vec<_> = Tier::ALL
            .iter()
            .map(|t| {
                (
                    t.name(),
                    t.connection_cap(),
                    t.daily_limit(),
                    t.egress_allowance_gb(),
                )
            })
            .collect();
        assert_eq!(
            figures,
            [
                ("starter", Some(5), 1000, None),
                ("core", Some(50), 5000, Some(10)),
                ("plus", Some(1000), 5000, Some(50)),
                ("advanced", Some(10_000), 5000, Some(250)),
                ("enterprise", None, 5000, None),
            ]
        );
        let mut config = Config::default();
        assert_eq!(
            (config.connection_cap(), config.daily_call_limit()),
            (None, 5000),
            "no tier: what Xero documents for every app"
        );
        config.tier = Some(Tier::Starter);
        assert_eq!(
            (config.connection_cap(), config.daily_call_limit()),
            (Some(5), 1000)
        );
        config.connection_limit = Some(25);
        config.daily_limit = Some(800);
        config.egress_allowance_gb = Some(3);
        assert_eq!(
            (
                config.connection_cap(),
                config.daily_call_limit(),
                config.egress_allowance()
            ),
            (Some(25), 800, Some(3)),
            "each key set alone wins over the tier"
        );
    }

    #[test]
    fn the_names_are_the_serialised_words() {
        for tier in Tier::ALL {
            let word = serde_json::to_string(&tier).unwrap();
            assert_eq!(word, format!("\"{}\"", tier.name()));
        }
    }

    #[test]
    fn doctor_says_when_the_connections_do_not_fit_the_tier() {
        let mut config = Config::default();
        assert_eq!(tier_fit(&config, 3), TierFit::NoTier);
        assert!(
            TierFit::NoTier
                .fix()
                .unwrap()
                .contains("tenantry config set tier")
        );
        config.tier = Some(Tier::Starter);
        assert_eq!(
            tier_fit(&config, 5).to_string(),
            "tier starter: 5 of 5 connections, 1000 calls a day per organisation"
        );
        let over = tier_fit(&config, 6);
        assert_eq!(
            over,
            TierFit::OverCap {
                used: 6,
                cap: 5,
                tier: Tier::Starter
            }
        );
        assert!(
            over.to_string()
                .contains("6 organisations connected, more than the 5")
        );
        config.tier = Some(Tier::Enterprise);
        config.exempt = true;
        assert_eq!(
            tier_fit(&config, 12_000).to_string(),
            "tier enterprise, exempt from Xero's fees: 12000 connections (no cap), 5000 calls a day per organisation"
        );
    }
}

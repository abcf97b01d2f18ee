//! The platforms the conformance list runs against: which adapter, where the mock
//! serves it, and how a mode of the mock becomes a public and an upstream model name.

use e2e::mock_upstream::dishonest::Platform;
use e2e::{MockUpstream, TestConfig, TestGateway};

/// One platform under test.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The adapter (and the prefix of the public model names).
    pub adapter: &'static str,
    /// The mock's platform (the prefix of the upstream model names).
    pub platform: Platform,
}

impl Target {
    /// The public model whose upstream model names `mode` on this platform.
    pub fn model(&self, mode: &str) -> String {
        format!("{}-{mode}", self.adapter)
    }

    /// The base URL this adapter expects for the mock.
    fn base_url(&self, mock: &MockUpstream) -> String {
        match self.platform {
            Platform::OpenAi => mock.base_url(),
            _ => format!("http://{}", mock.addr()),
        }
    }

    /// A mock upstream and a gateway serving one model per mode.
    pub async fn start(&self, modes: &[&str]) -> (MockUpstream, TestGateway) {
        let mock = MockUpstream::start().await.expect("mock upstream starts");
        let base = self.base_url(&mock);
        let mut config = TestConfig::new();
        for mode in modes {
            let upstream = format!("{}{mode}", self.platform.prefix());
            config = config.model(&self.model(mode), self.adapter, &upstream, &base);
        }
        let gateway = TestGateway::start(&config.to_toml())
            .await
            .expect("gateway starts");
        (mock, gateway)
    }
}

pub fn openai() -> Target {
    Target {
        adapter: "openai",
        platform: Platform::OpenAi,
    }
}

pub fn azure() -> Target {
    Target {
        adapter: "azure",
        platform: Platform::Azure,
    }
}

pub fn anthropic() -> Target {
    Target {
        adapter: "anthropic",
        platform: Platform::Anthropic,
    }
}

pub fn gemini() -> Target {
    Target {
        adapter: "gemini",
        platform: Platform::Gemini,
    }
}

pub fn coze() -> Target {
    Target {
        adapter: "coze",
        platform: Platform::Coze,
    }
}

//! What a test hub adds to a hub: stand-ins for chosen functions, and a
//! note of every call ([`crate::testing::TestHub`] drives it).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use super::Hub;

/// What a test hub adds: stand-ins for chosen functions, and a note of every call.
#[derive(Default)]
pub(super) struct Instruments {
    stand_ins: HashMap<String, StandIn>,
    calls: Mutex<Vec<(String, Value)>>,
}

/// A function that stands in for a plugin function in tests.
pub(crate) type StandIn = Box<dyn Fn(&Hub, Value) -> anyhow::Result<Value> + Send + Sync>;

impl Hub {
    /// True for a test hub (stand-ins, and a note of every call): calls then
    /// take the path that consults them.
    #[inline]
    pub(crate) fn instrumented(&self) -> bool {
        self.instruments.is_some()
    }

    pub(crate) fn instrument(&mut self) {
        self.instruments.get_or_insert_with(Default::default);
    }

    pub(crate) fn record_call(&self, reference: &str, kwargs: &Value) {
        if let Some(instruments) = &self.instruments {
            let mut calls = instruments.calls.lock().unwrap_or_else(|e| e.into_inner());
            calls.push((reference.to_owned(), kwargs.clone()));
        }
    }

    pub(crate) fn stand_in(&self, reference: &str) -> Option<&StandIn> {
        self.instruments.as_ref()?.stand_ins.get(reference)
    }

    pub(crate) fn set_stand_in(&mut self, reference: String, stand_in: StandIn) {
        self.instrument();
        if let Some(instruments) = &mut self.instruments {
            instruments.stand_ins.insert(reference, stand_in);
        }
    }

    pub(crate) fn recorded_calls(&self, reference: &str) -> Vec<Value> {
        let Some(instruments) = &self.instruments else {
            return Vec::new();
        };
        let calls = instruments.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls
            .iter()
            .filter(|(called, _)| called == reference)
            .map(|(_, kwargs)| kwargs.clone())
            .collect()
    }
}

//! Parsing ovs-ofctl action text (what follows `actions=`) into a flat list
//! of items, as OVS's `ofpacts_parse()` does: every keyword's parser appends
//! to a [`ParseCx`]; nested lists (`ct(exec(...))`, `clone(...)`,
//! `write_actions(...)`) are parsed with a child context.

use super::registry::{Action, KEYWORDS};
use super::text::{KeyValues, ParseError, ParseResult, PortNames};
use super::verify::{verify_items, Item, Outer};
use super::{output, registry, text};
use crate::instruction;

/// How deeply action lists may nest in text (OVS's MAX_OFPACT_PARSE_DEPTH).
const MAX_PARSE_DEPTH: usize = 100;

/// Where parsed items go, plus what the parsers need to know.
pub(crate) struct ParseCx<'a> {
    pub items: Vec<Item>,
    pub ports: Option<PortNames<'a>>,
    depth: usize,
}

impl std::fmt::Debug for ParseCx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseCx")
            .field("items", &self.items)
            .field("depth", &self.depth)
            .finish()
    }
}

impl<'a> ParseCx<'a> {
    pub fn new(ports: Option<PortNames<'a>>) -> Self {
        ParseCx {
            items: Vec::new(),
            ports,
            depth: 0,
        }
    }

    pub fn push(&mut self, action: impl Into<Action>) {
        self.items.push(Item::Action(action.into()));
    }

    pub fn push_inst(&mut self, inst: crate::instruction::Instruction) {
        self.items.push(Item::Inst(inst));
    }

    /// Parses `text` as a nested action list inside `outer` (no
    /// instructions but `meter`, which verification then rejects) and
    /// returns its actions.
    pub fn nested(&mut self, text: &str, outer: Outer) -> ParseResult<Vec<Action>> {
        let mut child = ParseCx {
            items: Vec::new(),
            ports: self.ports,
            depth: self.depth,
        };
        child.parse_list(text, false, outer)?;
        Ok(child
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Action(a) => Some(a),
                Item::Inst(_) => None,
            })
            .collect())
    }

    /// OVS's `ofpacts_parse__()`: keywords, then the `drop` rule, then
    /// ordering and nesting verification.
    pub fn parse_list(
        &mut self,
        text: &str,
        allow_instructions: bool,
        outer: Outer,
    ) -> ParseResult<()> {
        if self.depth >= MAX_PARSE_DEPTH {
            return Err(ParseError::msg("Action nested too deeply"));
        }
        self.depth += 1;
        let start = self.items.len();
        let mut drop = false;
        for (key, value) in KeyValues::new(text) {
            if key.eq_ignore_ascii_case("drop") {
                drop = true;
            } else if key.eq_ignore_ascii_case("apply_actions") {
                return Err(ParseError::msg("apply_actions is the default instruction"));
            } else if let Some(parse) = keyword(key) {
                parse(value, self)?;
            } else if let Some(parse) = instruction::keyword(key) {
                parse(value, self)?;
            } else if let Some(port) = text::parse_port(key, self.ports) {
                self.push(output::Output::to(port));
            } else {
                return Err(ParseError::msg(format!("unknown action {key}")));
            }
        }
        self.depth -= 1;
        if drop && self.items.len() > start {
            return Err(ParseError::msg(
                "\"drop\" must not be accompanied by any other action or instruction",
            ));
        }
        let items = self.items.get(start..).unwrap_or_default();
        verify_items(items, allow_instructions, outer)
            .map_err(|(_, message)| ParseError::msg(message))
    }
}

fn keyword(key: &str) -> Option<registry::KeywordFn> {
    KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|&(_, parse)| parse)
}

//! OVS's `ofpacts_verify()`: the rules on where actions and instructions may
//! appear, shared by the text parser and the decoder. Instructions must come
//! in OpenFlow order (meter, apply, clear, write, write_metadata, goto), each
//! at most once; `conjunction` goes only with `note`; `nat` only inside `ct`;
//! `ct` nests only ct_mark/ct_label writes; nothing nests `meter`.

use crate::error::{BadActionCode, BadInstructionCode, OfpError};
use crate::instruction::Instruction;

use super::registry::Action;

/// One parsed or decoded element, before actions are grouped into
/// instructions: a single action, or an instruction other than
/// apply-actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Action(Action),
    Inst(Instruction),
}

/// The action a list is nested in, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outer {
    None,
    Ct,
    Clone,
    WriteActions,
}

impl Outer {
    fn name(self) -> &'static str {
        match self {
            Outer::None => "",
            Outer::Ct => "ct",
            Outer::Clone => "clone",
            Outer::WriteActions => "write_actions",
        }
    }
}

/// Instruction order index of apply-actions.
const APPLY: usize = 1;
const METER: usize = 0;

/// Instruction names in OpenFlow order, as OVS prints them.
pub(crate) const INSTRUCTION_NAMES: [&str; 6] = [
    "meter",
    "apply_actions",
    "clear_actions",
    "write_actions",
    "write_metadata",
    "goto_table",
];

impl Item {
    fn order(&self) -> usize {
        match self {
            Item::Action(_) => APPLY,
            Item::Inst(inst) => inst.order(),
        }
    }

    fn ofpact_name(&self) -> &'static str {
        match self {
            Item::Action(a) => a.ofpact_name(),
            Item::Inst(inst) => INSTRUCTION_NAMES.get(inst.order()).copied().unwrap_or(""),
        }
    }
}

/// The error OVS reports, with the message ovs-ofctl prints for it.
pub(crate) type VerifyError = (OfpError, String);

/// Verifies `items`, which are nested in `outer`. Without
/// `allow_instructions` only actions and `meter` are allowed.
pub(crate) fn verify_items(
    items: &[Item],
    allow_instructions: bool,
    outer: Outer,
) -> Result<(), VerifyError> {
    let mut inst = METER;
    for (i, item) in items.iter().enumerate() {
        if matches!(item, Item::Action(Action::Conjunction(_))) {
            return verify_conjunction(items);
        }
        verify_nested(item, outer)?;
        let next = item.order();
        let out_of_order = if inst == APPLY {
            next < inst
        } else {
            next <= inst
        };
        if i > 0 && out_of_order {
            let name = INSTRUCTION_NAMES.get(inst).copied().unwrap_or("");
            let next_name = INSTRUCTION_NAMES.get(next).copied().unwrap_or("");
            let message = if next == inst {
                format!("duplicate {name} instruction not allowed, for OpenFlow 1.1+ compatibility")
            } else {
                format!(
                    "invalid instruction ordering: {next_name} must appear before {name}, for OpenFlow 1.1+ compatibility"
                )
            };
            return Err((
                OfpError::BadAction(BadActionCode::UnsupportedOrder),
                message,
            ));
        }
        if !allow_instructions && next != APPLY && next != METER {
            return Err((
                OfpError::BadInstruction(BadInstructionCode::UnsupInst),
                format!("{} instruction not allowed here", item.ofpact_name()),
            ));
        }
        inst = next;
    }
    Ok(())
}

fn verify_conjunction(items: &[Item]) -> Result<(), VerifyError> {
    let other = items.iter().find(|item| {
        !matches!(
            item,
            Item::Action(Action::Conjunction(_)) | Item::Action(Action::Note(_))
        )
    });
    match other {
        None => Ok(()),
        Some(item) => Err((
            OfpError::BadAction(BadActionCode::NxBadConjunction),
            format!(
                "\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as the \"{}\" action used here)",
                item.ofpact_name()
            ),
        )),
    }
}

fn verify_nested(item: &Item, outer: Outer) -> Result<(), VerifyError> {
    let action = match item {
        Item::Action(a) => Some(a),
        Item::Inst(_) => None,
    };
    let dst = action.and_then(Action::written_field);
    if let Some(field) = &dst {
        if field.is_ct && outer != Outer::Ct {
            return Err((
                OfpError::BadAction(BadActionCode::BadSetArgument),
                "cannot set CT fields outside of ct action".to_string(),
            ));
        }
    }
    if let Some(Action::Nat(_)) = action {
        return if outer == Outer::Ct {
            Ok(())
        } else {
            Err((
                OfpError::BadAction(BadActionCode::BadSetArgument),
                "Cannot have NAT action outside of \"ct\" action".to_string(),
            ))
        };
    }
    if outer == Outer::None {
        return Ok(());
    }
    let unsupported = || {
        (
            OfpError::BadAction(BadActionCode::BadArgument),
            format!(
                "{} action doesn't support nested action {}",
                outer.name(),
                item.ofpact_name()
            ),
        )
    };
    if outer == Outer::Ct {
        match &dst {
            None => return Err(unsupported()),
            Some(field) if !field.is_ct => {
                return Err((
                    OfpError::BadAction(BadActionCode::BadArgument),
                    format!(
                        "ct action doesn't support nested modification of {}",
                        field.name
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if item.order() == METER {
        return Err(unsupported());
    }
    Ok(())
}

/// The field an action writes, as far as verification cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrittenField {
    /// OVS's name for the field (`ct_mark`, `reg0`).
    pub name: &'static str,
    /// ct_mark or ct_label, which only `ct` may write.
    pub is_ct: bool,
}

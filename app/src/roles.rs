//! The role picker: which roles of numbers (amounts, counts, years…) enter
//! the Benford tests, for a job's upload or a new collection.

use leptos::prelude::*;
use shared::reading::roles::{Role, Roles};

/// Which roles of numbers enter the Benford tests: a checkbox per role,
/// with its rule as the title; at least one stays checked.
#[component]
pub fn RolePicker(roles: RwSignal<Roles>) -> impl IntoView {
    let boxes = Role::ALL
        .into_iter()
        .map(|role| {
            let toggle = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                roles.update(|current| {
                    let mut list: Vec<Role> = Vec::from(*current);
                    list.retain(|r| *r != role);
                    if on {
                        list.push(role);
                    }
                    // Never none: the last box cannot be unchecked.
                    if !list.is_empty() {
                        *current = Roles::of(&list);
                    }
                });
            };
            view! {
                <label class="role" title=role.rule()>
                    <input
                        type="checkbox"
                        name="roles"
                        value=role.name()
                        prop:checked=move || roles.get().contains(role)
                        on:change=toggle
                    />
                    {role.name().replace('_', " ")}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="roles">
            <legend>"Numbers that enter the Benford tests"</legend>
            {boxes}
        </fieldset>
    }
}

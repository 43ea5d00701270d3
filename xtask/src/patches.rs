//! A fix to the local queue of `wrangler dev` (miniflare's queue broker),
//! applied to `node_modules` after every install and checked on every run.
//!
//! The broker delivers one batch at a time, and before it takes the next it
//! awaits a log call to wrangler's Node process (the `QUEUE … 1/1` line) —
//! with no bound and no `catch`. When that call fails or never returns, the
//! broker's flush never ends and its queue delivers nothing more, for good:
//! the end-to-end runs saw a queue stop after a batch whose work was done
//! and recorded (the slice's objects in R2, its row in the hub) but whose
//! `QUEUE` line never came. The patch bounds each of the broker's log calls
//! at 5 s and swallows their failure (a lost log line, not a lost queue),
//! and says on stderr when a batch has had no answer for two minutes.
//! The patch's own lines are warnings (`▲ [WARNING]`), not errors: a lost
//! log line is not a failure of the server (the end-to-end runs fail on
//! `✘ [ERROR]` lines, `serverlog.rs`). A broker patched by an earlier
//! version, which logged them as errors, is brought up to date.
//! The deployed queue is not miniflare's; nothing of Docket changes.

use anyhow::{Context, Result, bail};

use crate::util::root;

const BROKER: &str = "node_modules/miniflare/dist/src/workers/queues/broker.worker.js";
const MARKER: &str = "docket patch";

/// Text the patch expects, and what it becomes.
const EDITS: [(&str, &str); 3] = [
    (
        "var QueueBrokerObject = class extends MiniflareDurableObject {\n",
        "var QueueBrokerObject = class extends MiniflareDurableObject {\n  \
         // docket patch: a log call that fails or hangs must not stop the queue.\n  \
         async logWithLevel(level, message) {\n    \
         try {\n      \
         await Promise.race([super.logWithLevel(level, message), \
         new Promise((resolve) => setTimeout(resolve, 5e3))]);\n    \
         } catch (e) {\n      \
         console.warn(`docket patch: a queue log call failed: ${e}`);\n    \
         }\n  \
         }\n",
    ),
    (
        "    try {\n      response = await this.#dispatchBatch(",
        "    let slow = setTimeout(() => console.warn(\"docket patch: a queue batch has had \
         no answer for 120 s\"), 120e3);\n    \
         try {\n      response = await this.#dispatchBatch(",
    ),
    (
        "response = exceptionQueueResponse;\n    }\n",
        "response = exceptionQueueResponse;\n    } finally {\n      clearTimeout(slow);\n    }\n",
    ),
];

/// Applies the patch unless it is there already; fails when the file is not
/// the one it was written for (another miniflare: look at it again).
pub fn miniflare() -> Result<()> {
    let path = root().join(BROKER);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    if text.contains(MARKER) {
        let old = "console.error(`docket patch";
        let older = "console.error(\"docket patch";
        if text.contains(old) || text.contains(older) {
            let upgraded = text
                .replace(old, "console.warn(`docket patch")
                .replace(older, "console.warn(\"docket patch");
            std::fs::write(&path, upgraded).with_context(|| path.display().to_string())?;
            println!("updated the patch of miniflare's queue broker (its lines are warnings)");
        } else {
            println!("ok: miniflare's queue broker is patched");
        }
        return Ok(());
    }
    let mut patched = text;
    for (from, to) in EDITS {
        if patched.matches(from).count() != 1 {
            bail!(
                "{}: the text to patch is not there once ({from:?}); a new miniflare? See xtask/src/patches.rs",
                path.display()
            );
        }
        patched = patched.replacen(from, to, 1);
    }
    std::fs::write(&path, patched).with_context(|| path.display().to_string())?;
    println!("patched miniflare's queue broker (xtask/src/patches.rs)");
    Ok(())
}

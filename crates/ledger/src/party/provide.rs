//! The provider's side of a forwarded inquiry: its record and its signed answer.

use renkei_store::StoreError;

use super::{PartyLog, PartyRecord, Side};
use crate::record_log::Outcome;

impl PartyLog {
    /// A provider's answer to an inquiry the hub forwarded, ready to send: its own record of
    /// providing it (committed before the answer leaves; the hub's entry number is not known
    /// yet) and its signature over the answer, both at once — each waits for its group.
    pub async fn provide(
        &self,
        holder: &str,
        signer: &renkei_wire::signing::Signer,
        req: &renkei_wire::msg::inquiry::ProvideRequest,
        answer: renkei_wire::msg::inquiry::Provided,
    ) -> Result<renkei_wire::msg::inquiry::ProvideResponse, StoreError> {
        use renkei_wire::msg::inquiry::Provided;
        let outcome = match answer {
            Provided::Data { .. } => Outcome::Data,
            Provided::NoRecord => Outcome::NoRecord,
        };
        let message = renkei_wire::msg::inquiry::answer_message(req, &answer);
        let record = PartyRecord::now(
            holder,
            Side::Provided,
            &req.asker,
            &req.provider,
            &req.task,
            &req.info,
            &req.request_id,
            outcome,
            None,
        );
        let (recorded, signature) =
            tokio::join!(self.record(record), signer.sign_batched(&message));
        recorded?;
        Ok(renkei_wire::msg::inquiry::ProvideResponse { answer, signature })
    }
}

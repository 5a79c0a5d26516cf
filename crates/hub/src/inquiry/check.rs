//! The shape of an inquiry request, checked before anything else (nothing is recorded for a
//! request that fails here: the hub cannot tell who asks about whom).

use renkei_wire::msg::inquiry::InquireRequest;

use super::InquiryError;

pub(super) fn check_request(req: &InquireRequest) -> Result<(), InquiryError> {
    let ok_id = !req.request_id.is_empty()
        && req.request_id.len() <= 64
        && req.request_id.chars().all(|c| c.is_ascii_graphic());
    if !ok_id {
        return Err(InquiryError::BadRequest(
            "照会番号（request_id）は英数字記号の1〜64文字で指定してください".into(),
        ));
    }
    // asker, provider, task and info are typed codes: their shape was checked when the body
    // was read.
    if req.fugo.0.is_empty() || req.fugo.0.len() > 64 {
        return Err(InquiryError::BadRequest(format!(
            "照会番号 {}: 項目「fugo」（機関別符号）が正しくありません",
            req.request_id
        )));
    }
    Ok(())
}

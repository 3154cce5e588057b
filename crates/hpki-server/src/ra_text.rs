//! The words of the officers' web UI, in Japanese (the default) and English.

use hpki_ra::Lang;

/// Every fixed text of the pages.
#[derive(Debug)]
pub struct Texts {
    /// `lang` attribute.
    pub html_lang: &'static str,
    /// Product name in the header.
    pub system: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Navigation.
    pub nav_queue: &'static str,
    /// Navigation.
    pub nav_search: &'static str,
    /// Navigation.
    pub nav_new: &'static str,
    /// Navigation.
    pub nav_dashboard: &'static str,
    /// Nav: the OpenID provider's relying parties (administrators).
    pub nav_clients: &'static str,
    /// 研修会.
    pub nav_events: &'static str,
    /// Sign out.
    pub sign_out: &'static str,
    /// The navigation's accessible name.
    pub menu: &'static str,
    /// The count of a list: "{n}件" / "{n} applications" (`{}` is the number).
    pub count: &'static str,
    /// The other language's switch.
    pub other_lang: &'static str,
    /// Query value of the other language.
    pub other_lang_code: &'static str,
    /// Sign-in page.
    pub sign_in_title: &'static str,
    /// Field.
    pub login_id: &'static str,
    /// Field.
    pub password: &'static str,
    /// Button.
    pub sign_in: &'static str,
    /// Queue page.
    pub queue_title: &'static str,
    /// Queue page, empty.
    pub queue_empty: &'static str,
    /// Search page.
    pub search_title: &'static str,
    /// Search field.
    pub search_label: &'static str,
    /// Search hint.
    pub search_hint: &'static str,
    /// Stage filter.
    pub stage_label: &'static str,
    /// Any stage.
    pub any_stage: &'static str,
    /// Button.
    pub search_button: &'static str,
    /// Nothing found.
    pub nothing_found: &'static str,
    /// Column.
    pub col_number: &'static str,
    /// Column.
    pub col_name: &'static str,
    /// Column.
    pub col_kana: &'static str,
    /// Column.
    pub col_license: &'static str,
    /// Column.
    pub col_stage: &'static str,
    /// Column.
    pub col_office: &'static str,
    /// Column.
    pub col_updated: &'static str,
    /// New application page.
    pub new_title: &'static str,
    /// Application page.
    pub application_title: &'static str,
    /// Error summary heading.
    pub errors_heading: &'static str,
    /// Heading of what the subscriber register says about the application.
    pub register_heading: &'static str,
    /// Under it: who may go on, and how.
    pub register_hint: &'static str,
    /// Sections of the form.
    pub section_application: &'static str,
    /// Section.
    pub section_applicant: &'static str,
    /// Section.
    pub section_workplace: &'static str,
    /// Section.
    pub section_contact: &'static str,
    /// Section.
    pub section_delivery: &'static str,
    /// Section.
    pub section_documents: &'static str,
    /// Photo.
    pub photo: &'static str,
    /// Photo hint.
    pub photo_hint: &'static str,
    /// No photo yet.
    pub no_photo: &'static str,
    /// Required mark.
    pub required: &'static str,
    /// Not selected.
    pub choose: &'static str,
    /// Button.
    pub save_draft: &'static str,
    /// Button.
    pub save_and_submit: &'static str,
    /// Status box.
    pub stage_now: &'static str,
    /// Received at.
    pub received_by: &'static str,
    /// Reviewed at.
    pub reviewed_by: &'static str,
    /// Papers.
    pub papers: &'static str,
    /// Papers arrived.
    pub papers_arrived: &'static str,
    /// Papers on the way.
    pub papers_pending: &'static str,
    /// Subscriber.
    pub subscriber: &'static str,
    /// Card.
    pub card: &'static str,
    /// Actions heading.
    pub actions: &'static str,
    /// No action.
    pub no_actions: &'static str,
    /// Reason field.
    pub reason: &'static str,
    /// Tracking field.
    pub tracking: &'static str,
    /// CSR fields.
    pub sign_csr: &'static str,
    /// CSR fields.
    pub auth_csr: &'static str,
    /// History heading.
    pub history: &'static str,
    /// Column.
    pub col_when: &'static str,
    /// Column.
    pub col_who: &'static str,
    /// Column.
    pub col_what: &'static str,
    /// Column.
    pub col_reason: &'static str,
    /// Read-only notice.
    pub read_only: &'static str,
    /// Dashboard.
    pub dashboard_title: &'static str,
    /// Dashboard section.
    pub dashboard_map: &'static str,
    /// Dashboard section.
    pub dashboard_issued: &'static str,
    /// Dashboard section.
    pub dashboard_pending: &'static str,
    /// Dashboard: the doctors' requests from the portal.
    pub dashboard_notices: &'static str,
    /// Column: when.
    pub notice_when: &'static str,
    /// Column: subscriber ID.
    pub notice_subscriber: &'static str,
    /// Column: what.
    pub notice_what: &'static str,
    /// Done notice.
    pub saved: &'static str,
    /// Error page.
    pub error_title: &'static str,
    /// Back link.
    pub back: &'static str,
}

/// Japanese.
pub const JA: Texts = Texts {
    html_lang: "ja",
    system: "医師資格証 登録局システム",
    skip: "本文へ移動",
    nav_queue: "作業一覧",
    nav_search: "申請の検索",
    nav_new: "新規受付",
    nav_dashboard: "ダッシュボード",
    nav_clients: "連携先",
    nav_events: "研修会",
    sign_out: "ログアウト",
    menu: "メニュー",
    count: "{}件",
    other_lang: "English",
    other_lang_code: "en",
    sign_in_title: "ログイン",
    login_id: "ログインID",
    password: "パスワード",
    sign_in: "ログイン",
    queue_title: "作業一覧",
    queue_empty: "現在、処理待ちの申請はありません。",
    search_title: "申請の検索",
    search_label: "氏名（漢字・フリガナ）または医籍登録番号",
    search_hint: "氏名の一部、または医籍登録番号を入力してください。",
    stage_label: "状態",
    any_stage: "すべて",
    search_button: "検索",
    nothing_found: "該当する申請はありません。",
    col_number: "受付番号",
    col_name: "氏名",
    col_kana: "フリガナ",
    col_license: "医籍登録番号",
    col_stage: "状態",
    col_office: "受付局",
    col_updated: "更新日時",
    new_title: "新規受付（発行申請書）",
    application_title: "申請",
    errors_heading: "入力内容を確認してください",
    register_heading: "登録簿の確認事項（医籍登録番号）",
    register_hint: "同じ医師に2枚目のカードは発行できません。その他の事項は、本部の最終審査者が理由を記入した場合に限り続けられます。",
    section_application: "① 申請",
    section_applicant: "② 申請者",
    section_workplace: "③ 勤務先",
    section_contact: "④ 連絡先",
    section_delivery: "⑤ 送付先",
    section_documents: "受付時に確認する書類",
    photo: "申請者の写真",
    photo_hint: "JPEGまたはPNG（5MB以下）",
    no_photo: "写真は未登録です",
    required: "必須",
    choose: "選択してください",
    save_draft: "下書きを保存",
    save_and_submit: "保存して受付",
    stage_now: "現在の状態",
    received_by: "受付局",
    reviewed_by: "本審査局",
    papers: "郵送書類",
    papers_arrived: "登録局に到着済み",
    papers_pending: "未着",
    subscriber: "加入者ID",
    card: "カードID",
    actions: "操作",
    no_actions: "あなたが行える操作はありません。",
    reason: "理由（差戻し・却下の場合は必須）",
    tracking: "郵送書類の追跡番号（本審査の場合は必須）",
    sign_csr: "署名用CSR（PEM）",
    auth_csr: "認証用CSR（PEM）",
    history: "処理履歴",
    col_when: "日時",
    col_who: "担当者",
    col_what: "処理",
    col_reason: "理由・備考",
    read_only: "この申請は現在の状態では編集できません。",
    dashboard_title: "ダッシュボード",
    dashboard_map: "都道府県別 受付審査局の開設状況",
    dashboard_issued: "医師資格証 発行枚数の推移",
    dashboard_pending: "局ごとの処理待ち件数",
    dashboard_notices: "医師からの届出（会員ポータル）",
    notice_when: "日時",
    notice_subscriber: "利用者ID",
    notice_what: "内容",
    saved: "保存しました。",
    error_title: "エラー",
    back: "戻る",
};

/// English.
pub const EN: Texts = Texts {
    html_lang: "en",
    system: "Medical Doctor Qualification Certificate — Registration",
    skip: "Skip to content",
    nav_queue: "Work queue",
    nav_search: "Search",
    nav_new: "New application",
    nav_dashboard: "Dashboard",
    nav_clients: "Relying parties",
    nav_events: "Seminars",
    sign_out: "Sign out",
    menu: "Menu",
    count: "{} applications",
    other_lang: "日本語",
    other_lang_code: "ja",
    sign_in_title: "Sign in",
    login_id: "Login ID",
    password: "Password",
    sign_in: "Sign in",
    queue_title: "Work queue",
    queue_empty: "No application is waiting for you.",
    search_title: "Search applications",
    search_label: "Name (kanji or kana) or medical licence number",
    search_hint: "Part of the name, or the licence number.",
    stage_label: "Stage",
    any_stage: "Any",
    search_button: "Search",
    nothing_found: "No application matches.",
    col_number: "No.",
    col_name: "Name",
    col_kana: "Kana",
    col_license: "Licence No.",
    col_stage: "Stage",
    col_office: "Received at",
    col_updated: "Updated",
    new_title: "New application (application form)",
    application_title: "Application",
    errors_heading: "Please check the form",
    register_heading: "Subscriber register (medical licence number)",
    register_hint: "A doctor is never issued a second card. Anything else may go on only with a reason recorded by the HQ final reviewer.",
    section_application: "1. Application",
    section_applicant: "2. Applicant",
    section_workplace: "3. Workplace",
    section_contact: "4. Contact",
    section_delivery: "5. Delivery",
    section_documents: "Documents checked at reception",
    photo: "Applicant's photo",
    photo_hint: "JPEG or PNG, at most 5 MB",
    no_photo: "No photo yet",
    required: "required",
    choose: "Choose",
    save_draft: "Save draft",
    save_and_submit: "Save and receive",
    stage_now: "Stage",
    received_by: "Received at",
    reviewed_by: "Reviewed at",
    papers: "Mailed papers",
    papers_arrived: "arrived at HQ",
    papers_pending: "not arrived",
    subscriber: "Subscriber ID",
    card: "Card ID",
    actions: "Actions",
    no_actions: "There is nothing you can do with this application now.",
    reason: "Reason (required to return or reject)",
    tracking: "Tracking number of the mailed papers (required for the main review)",
    sign_csr: "Signing CSR (PEM)",
    auth_csr: "Authentication CSR (PEM)",
    history: "History",
    col_when: "When",
    col_who: "Officer",
    col_what: "Step",
    col_reason: "Reason / notes",
    read_only: "This application cannot be edited at its current stage.",
    dashboard_title: "Dashboard",
    dashboard_map: "Reception and review offices by prefecture",
    dashboard_issued: "Cards issued (cumulative)",
    dashboard_pending: "Applications pending per office",
    dashboard_notices: "Doctors' requests (member portal)",
    notice_when: "When",
    notice_subscriber: "Subscriber ID",
    notice_what: "What",
    saved: "Saved.",
    error_title: "Error",
    back: "Back",
};

/// The texts of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

"""The fixed sentences of credentials and certificates, in English and Chinese.

The school's own names (levels, badges, tiers) come from the program file in
the credential's language; only the sentences around them live here. A
language other than Chinese reads the English sentences.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """The sentences of one language; ``{...}`` fields are filled in by callers.

    Attributes:
        heading: The certificate's heading.
        certifies: Before the learner's display name.
        learner_of: Instead, when the learner has none (``{issuer}``).
        achieved: Before the award's name.
        issued: The date and issuer line (``{date}``, ``{issuer}``).
        verify: Before the verification URL.
        revoked: The mark across a revoked certificate.
        badge_criteria: How a badge is earned (``{title}``).
        level_criteria: How a level is reached (``{title}``).
        earned: The evidence of a badge (``{title}``, ``{at}``).
        reached: The evidence of a level reached (``{title}``, ``{level}``,
            ``{at}``).
        placed: The evidence of a placement (as ``reached``).
        tier: A badge's name with its tier (``{badge}``, ``{tier}``).
        gate: One gate in the evidence (``{gate}``, ``{current}``, ``{target}``).
        separator: Between the parts of the evidence.
        colon: Between the evidence's head and its reasons.
        stop: The end of the evidence.
    """

    heading: str
    certifies: str
    learner_of: str
    achieved: str
    issued: str
    verify: str
    revoked: str
    badge_criteria: str
    level_criteria: str
    earned: str
    reached: str
    placed: str
    tier: str
    gate: str
    separator: str
    colon: str
    stop: str


ENGLISH = Words(
    heading="Certificate of achievement",
    certifies="This certifies that",
    learner_of="This certifies that a learner of {issuer}",
    achieved="has achieved",
    issued="on {date}, issued by {issuer}",
    verify="Verify at:",
    revoked="REVOKED",
    badge_criteria="Earn the badge '{title}' under the school's program rules.",
    level_criteria=(
        "Reach the level '{title}': meet every gate of the level in the program."
    ),
    earned="Earned the badge {title} on {at}",
    reached="Reached level {title} ({level}) on {at}",
    placed="Placed at level {title} ({level}) on {at}",
    tier="{badge} ({tier})",
    gate="{gate} (value {current}, needed {target})",
    separator="; ",
    colon=": ",
    stop=".",
)

CHINESE = Words(
    heading="成就证书",
    certifies="兹证明",
    learner_of="兹证明 {issuer} 的一位学员",
    achieved="已获得",
    issued="{date}，由 {issuer} 颁发",
    verify="验证网址：",
    revoked="已撤销",
    badge_criteria="按照学校课程的规则获得徽章“{title}”。",
    level_criteria="达到等级“{title}”：满足课程中该等级的全部要求。",
    earned="于 {at} 获得徽章“{title}”",
    reached="于 {at} 达到等级“{title}”（{level}）",
    placed="于 {at} 经分级测试定为等级“{title}”（{level}）",
    tier="{badge}（{tier}）",
    gate="{gate}（当前 {current}，需要 {target}）",
    separator="；",
    colon="：",
    stop="。",
)


def words(language: str | None) -> Words:
    """The sentences for ``language`` (a BCP 47 tag): Chinese for ``zh*``."""
    if language is not None and language.split("-")[0].lower() == "zh":
        return CHINESE
    return ENGLISH

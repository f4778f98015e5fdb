"""What the participants app tells the apps above it, which it must not import.

``leaving`` is sent by :meth:`Participant.leave
<kaffeeklatsch.participants.models.Participant.leave>` inside its transaction, with
the person's row locked and before they are marked as gone, so that a receiver sees
them as they were and what it writes is kept or rolled back with the leaving. The
notifications app cancels the person's meetings still ahead there. A receiver's
error is not caught: the person then does not leave.
"""

from __future__ import annotations

from django.dispatch import Signal

# Arguments: participant (the Participant leaving).
leaving = Signal()

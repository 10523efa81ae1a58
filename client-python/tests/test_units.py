"""The client's pure parts: stream ordering and positions, duplicates, backoff, keep-alive timing."""
import unittest

from cdk_realtime_notifications_client import Backoff, Position, keep_alive_timing
from cdk_realtime_notifications_client.streams import RecentIds, Stream


def n(seq: int, epoch: str = "e1"):
    return {"id": f"n{seq}", "data": seq, "time": "", "seq": seq, "epoch": epoch}


class StreamTest(unittest.TestCase):
    def test_holds_until_the_answer_then_hands_over_in_seq_order(self) -> None:
        s = Stream()
        s.position = Position("e1", 2)
        s.hold()
        self.assertEqual(s.take(n(5)), [])
        self.assertEqual(s.take(n(3)), [])
        self.assertEqual([f["seq"] for f in s.release({"epoch": "e1", "seq": 5, "recovered": True})], [3, 5])
        self.assertEqual(s.position, Position("e1", 5))
        self.assertEqual(s.take(n(5)), [])  # already handed over
        self.assertEqual(s.take(n(6)), [n(6)])

    def test_position_waits_for_a_hole_to_fill(self) -> None:
        s = Stream()
        s.take(n(1))
        s.take(n(3))
        self.assertEqual(s.position, Position("e1", 1))
        s.take(n(2))
        self.assertEqual(s.position, Position("e1", 3))

    def test_a_new_epoch_starts_again(self) -> None:
        s = Stream()
        s.take(n(7))
        s.hold()
        s.release({"epoch": "e2", "seq": 1, "recovered": False}, lost=True)
        self.assertEqual(s.position, Position("e2", 1))


class RecentIdsTest(unittest.TestCase):
    def test_drops_duplicates_and_forgets_the_oldest(self) -> None:
        ids = RecentIds(2)
        self.assertTrue(ids.add("a"))
        self.assertFalse(ids.add("a"))
        ids.add("b")
        ids.add("c")
        self.assertEqual(len(ids), 2)
        self.assertTrue(ids.add("a"))


class TimingTest(unittest.TestCase):
    def test_backoff_is_full_jitter_under_a_doubling_cap(self) -> None:
        b = Backoff(initial_delay=0.5, max_delay=30)
        self.assertEqual([b.delay(a, lambda: 1.0) for a in range(8)], [0.5, 1, 2, 4, 8, 16, 30, 30])
        self.assertEqual(b.delay(3, lambda: 0.0), 0)
        self.assertTrue(all(0 <= b.delay(4) <= 8 for _ in range(100)))

    def test_keep_alive_timing_is_api_gateways_by_default(self) -> None:
        t = keep_alive_timing()
        self.assertEqual((t.ping_interval, t.max_connection_age), (300, 6900))
        t = keep_alive_timing(60, 600)
        self.assertEqual((t.ping_interval, t.max_connection_age), (30, 480))


if __name__ == "__main__":
    unittest.main()

"""The embedded broker: a reader polling while writers publish never sees a half-written message."""

import threading

from kombu import Connection, Queue

import lifecycle.project.broker  # noqa: F401


def test_concurrent_publish_and_consume_lose_nothing_and_read_no_partial_file(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
        "polling_interval": 0.001,
    }
    count, writers_n = 400, 2
    total = count * writers_n
    received, errors = [], []

    def publish():
        with Connection("lcmfs://", transport_options=options) as conn:
            producer = conn.Producer(serializer="json")
            for i in range(count):
                producer.publish({"n": i, "pad": "x" * 4096}, routing_key="q", declare=[Queue("q")])

    def consume():
        with Connection("lcmfs://", transport_options=options) as conn:
            queue = conn.SimpleQueue("q")
            try:
                while len(received) < total:
                    try:
                        message = queue.get(timeout=10)
                    except Exception as exc:  # an empty or half-written file would surface here
                        errors.append(repr(exc))
                        return
                    received.append(message.payload["n"])
                    message.ack()
            finally:
                queue.close()

    writers = [threading.Thread(target=publish) for _ in range(writers_n)]
    reader = threading.Thread(target=consume)
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    reader.join(timeout=60)
    assert errors == []
    assert sorted(received) == sorted(list(range(count)) * writers_n)
    assert not [p for p in folder.iterdir() if p.name.startswith(".partial-")]

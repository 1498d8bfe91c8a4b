"""A copilot plugin's chat history, written as plugins use the generated SDK.

Save a snippet, start a conversation about it, add the question and the answer as messages, then
list the chats as command lines do: the conversations snapshot, each conversation's messages in
the order of ``messages.indices`` (skipping the -1 of a removed one), each read by its id. Rename
from the messages, delete, and check the snippet no longer lists the chat. Prints one line per
step; exits 1 on a mismatch.
"""
import os
import sys

from pieces_os_client import (
    ApiClient,
    AssetApi,
    AssetsApi,
    Configuration,
    ConversationApi,
    ConversationMessageApi,
    ConversationMessagesApi,
    ConversationsApi,
    ConversationTypeEnum,
    FlattenedAssets,
    FragmentFormat,
    QGPTConversationMessageRoleEnum,
    ReferencedAsset,
    ReferencedConversation,
    Seed,
    SeededAsset,
    SeededConversation,
    SeededConversationMessage,
    SeededFormat,
    SeededFragment,
    TransferableString,
)
from pieces_os_client.models.application import Application

QUESTION = "What does parse_user_record return?"
ANSWER = "A list of the fields of the line, split at commas."


def main() -> int:
    configuration = Configuration(host=os.environ["PIECES_OS_URL"])
    with ApiClient(configuration) as api_client:
        asset = AssetsApi(api_client).assets_create_new_asset(seed=Seed(
            type="SEEDED_ASSET",
            asset=SeededAsset(
                application=Application(id="chat-plugin", name="VS_CODE", version="1.0.0", platform="LINUX",
                                        onboarded=True, privacy="OPEN"),
                format=SeededFormat(fragment=SeededFragment(string=TransferableString(
                    raw="def parse_user_record(line):\n    return line.split(',')\n"))),
            ),
        ))
        conversations_api = ConversationsApi(api_client)
        conversation = conversations_api.conversations_create_specific_conversation(
            seeded_conversation=SeededConversation(
                type=ConversationTypeEnum.COPILOT,
                assets=FlattenedAssets(iterable=[ReferencedAsset(id=asset.id)]),
            )
        )
        messages_api = ConversationMessagesApi(api_client)
        for role, text in ((QGPTConversationMessageRoleEnum.USER, QUESTION),
                           (QGPTConversationMessageRoleEnum.ASSISTANT, ANSWER)):
            messages_api.messages_create_specific_message(seeded_conversation_message=SeededConversationMessage(
                role=role, fragment=FragmentFormat(string=TransferableString(raw=text)),
                conversation=ReferencedConversation(id=conversation.id),
            ))
        print("created", conversation.id)

        message_api = ConversationMessageApi(api_client)
        for chat in conversations_api.conversations_snapshot(transferables=False).iterable:
            ordered = sorted((index, message_id) for message_id, index in (chat.messages.indices or {}).items()
                             if index != -1)
            print(f"chat {chat.name!r} with {len(ordered)} messages")
            for _, message_id in ordered:
                message = message_api.message_specific_message_snapshot(message=message_id)
                print(f"  {message.role.value}: {message.fragment.string.raw}")
            if [message_api.message_specific_message_snapshot(message=m).fragment.string.raw for _, m in ordered] != [
                QUESTION, ANSWER
            ]:
                print("messages out of order")
                return 1

        renamed = ConversationApi(api_client).conversation_specific_conversation_rename(conversation=conversation.id)
        print("renamed to", renamed.name)
        about = AssetApi(api_client).asset_specific_asset_conversations(asset=asset.id)
        if [chat.id for chat in about.iterable] != [conversation.id]:
            print("the snippet does not list its chat")
            return 1
        conversations_api.conversations_delete_specific_conversation(conversation=conversation.id)
        left = AssetApi(api_client).asset_specific_asset_conversations(asset=asset.id).iterable
        print("deleted; the snippet lists", len(left), "chats")
        return 0 if not left and renamed.name == QUESTION else 1


if __name__ == "__main__":
    sys.exit(main())
